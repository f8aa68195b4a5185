"""The campaign over HTTP (issue 13): report status and metadata corrections through the JSON API, refusals in
Chinese, coverage opening on the reporting year in season, the workbook's rows matching the filter's count."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette's notice about its test client's HTTP library
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ogi import forms

from .builders import record
from .test_serve_api import REVIEWER, login, make_app

UNBALANCED = {"t3.new.natural": 1, "t3.new.total": 1}


@pytest.fixture
def site(tmp_path):
    app = make_app(tmp_path)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    return client, {"X-CSRF-Token": token}, app.state.corpus


def test_report_status_over_the_api(site):
    client, headers, corpus = site
    rid = corpus.add(record("泾县财政局", 2021, UNBALANCED)).id
    r = client.post(f"/api/reports/{rid}/status", data={"status": "returned", "comment": "请整改"}, headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["report"]["review_status"] == "returned"
    assert [(h["status"], h["who"], h["comment"]) for h in body["history"]] == [("returned", REVIEWER[0], "请整改")]
    assert client.get("/api/reports?review=returned").json()["total"] == 1
    assert client.get("/api/reports").json()["review_counts"] == {
        "pending": 0,
        "reviewing": 0,
        "returned": 1,
        "passed": 0,
    }
    refused = client.post(f"/api/reports/{rid}/status", data={"status": "驳回"}, headers=headers)
    assert refused.status_code == 422 and "未知的报告审核状态" in refused.json()["error"]
    nobody = client.post(f"/api/reports/{rid}/status", data={"status": "passed", "assignee": "无此人"}, headers=headers)
    assert nobody.status_code == 422 and "无此人" in nobody.json()["error"]


def test_metadata_correction_over_the_api(site):
    client, headers, corpus = site
    rid = corpus.add(record("泾县财政局", 2019, {}, template="2021")).id
    assert "FORMAT-YEAR" in {f["rule"] for f in client.get(f"/api/reports/{rid}").json()["findings"]}
    bad = client.post(f"/api/reports/{rid}/meta", data={"field": "year", "value": "二〇二一"}, headers=headers)
    assert bad.status_code == 422 and "年度应为四位数字" in bad.json()["error"]
    ok = client.post(f"/api/reports/{rid}/meta", data={"field": "year", "value": "2021"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["meta"]["year"] == 2021
    data = client.get(f"/api/reports/{rid}").json()
    assert "FORMAT-YEAR" not in {f["rule"] for f in data["findings"]}
    assert [(m["field_zh"], m["old_value"], m["new_value"]) for m in data["meta_corrections"]] == [
        ("年度", "2019", "2021")
    ]


def test_coverage_opens_on_the_reporting_year_in_season(site):
    client, _, corpus = site
    season = forms.reporting_year()
    corpus.add(record("泾县财政局", season, {}))
    corpus.add(record("泾县教育局", season + 3, {}))  # one stray report naming a later year
    data = client.get("/api/coverage").json()
    assert data["year"] == season == dt.date.today().year - 1
    assert client.get(f"/api/coverage?year={season + 3}").json()["year"] == season + 3


def test_workbook_rows_follow_the_filter(site):
    from openpyxl import load_workbook

    client, _, corpus = site
    for organ in ("泾县财政局", "泾县教育局", "休宁县财政局"):
        corpus.add(record(organ, 2021, UNBALANCED))
    shown = client.get("/api/reports?organ=泾县").json()["total"]
    book = load_workbook(io.BytesIO(client.get("/export/campaign.xlsx?organ=泾县").content))
    assert book["报告"].max_row - 1 == shown == 2
    # Two T3-BALANCE errors and a FEES-STATED warning per report; no info items unless asked for.
    assert book["审核发现"].max_row - 1 == 6
    summary = list(book["汇总"].iter_rows(min_row=2, values_only=True))
    assert summary[-1][0] == "合计" and summary[-1][1] == 2  # both 待审


def test_workbook_keeps_the_verdict_a_correction_resolved(site):
    from openpyxl import load_workbook

    client, _, corpus = site
    rid = corpus.add(record("泾县财政局", 2021, UNBALANCED)).id
    natural = next(f for f in corpus.findings(rid) if f.rule == "T3-BALANCE" and "t3.new.natural" in f.keys)
    corpus.review_finding(natural.id, "confirmed", who="李四", comment="请单位核实")
    corpus.set_cell(rid, "t3.total.natural", "1", who="李四")  # the 自然人 column balances now
    book = load_workbook(io.BytesIO(client.get("/export/campaign.xlsx").content))
    rows = [r for r in book["审核发现"].iter_rows(min_row=2, values_only=True) if r[10] == "请单位核实"]
    assert [(r[5], r[9], r[11]) for r in rows] == [("T3-BALANCE", "已因更正而解决（原已确认）", "李四")]
    assert "自然人" in rows[0][6]


def test_organ_deadline_over_the_api(site):
    client, headers, corpus = site
    rid = corpus.add(record("江苏省泰州市滨江工业园区管委会", 2022, {})).id
    organ_id = corpus.report_row(rid).organ_id
    assert "次年1月31日前" in client.get(f"/organs/{organ_id}").text
    r = client.post(f"/api/organs/{organ_id}/deadline", data={"governs": "government"}, headers=headers)
    assert r.status_code == 200 and r.json()["organ"]["governs"] is True
    page = client.get(f"/organs/{organ_id}").text
    assert "次年3月31日前" in page and "审核人设定" in page and "作为政府（3月31日）" in page
    bad = client.post(f"/api/organs/{organ_id}/deadline", data={"governs": "maybe"}, headers=headers)
    assert bad.status_code == 422 and "报送期限" in bad.json()["error"]


def test_versions_linked_with_their_changed_cells(site):
    client, _, corpus = site
    first = record("泾县财政局", 2021, {"t3.new.natural": 1, "t3.new.total": 1}, sha="first")
    first.meta.published = dt.date(2022, 2, 3)
    second = record("泾县财政局", 2021, {}, sha="second")
    second.meta.published = dt.date(2022, 3, 10)
    old_id, new_id = corpus.add(first).id, corpus.add(second).id
    data = client.get(f"/api/reports/{new_id}").json()
    assert data["versions"]["text"] == "第2版，替代 2022-02-03 版"
    assert {(d["key"], d["before"], d["now"]) for d in data["versions"]["diff"]} == {
        ("t3.new.natural", "1", "0"),
        ("t3.new.total", "1", "0"),
    }
    assert client.get(f"/api/reports/{old_id}").json()["versions"]["text"] == "第1版，已被第2版（2022-03-10 版）替代"
    assert [r["id"] for r in client.get("/api/reports").json()["reports"]] == [new_id]
    assert client.get("/api/reports?versions=true").json()["total"] == 2
    assert client.get("/api/reports").json()["options"]["reviewers"]  # signed in: whom to assign to
    client.cookies.clear()
    assert client.get("/api/reports").json()["options"]["reviewers"] == []  # anonymous: no account names
