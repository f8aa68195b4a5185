"""The web app over HTTP (issue #5): every endpoint, refused writes, upload limits, CSRF, escaping.

Expected values come from the sources: the seeds' hand-read cells (as in test_seeds.py) and generated
reports whose cells are known before they are rendered to text (ogi.render).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import random
import re
import warnings
from decimal import Decimal

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette's notice about its test client's HTTP library
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ogi.model import Cell, State, StoreError
from ogi.render import inject, make_record, render_text
from ogi.serve import Settings, create_app

from .conftest import seed_path

ADMIN = ("admin", "admin-pass-1")
REVIEWER = ("rev", "reviewer-pass")
ORGAN = "会宁县财政局"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def make_app(path, **options):
    options.setdefault("max_upload_mb", 0.5)
    options.setdefault("max_request_mb", 1)
    app = create_app(str(path / "web.db"), Settings(**options))
    app.state.accounts.add(*ADMIN, "admin")
    app.state.accounts.add(*REVIEWER, "reviewer")
    return app


def login(client: TestClient, name: str, password: str, root: str = "") -> str:
    """Sign in through the form (with its CSRF token); returns the session's token for later writes."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": "/reports"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == root + "/reports"
    return client.get("/api/me").json()["csrf_token"]


def generated(year: int, seed: int = 1, organ: str = ORGAN, published: dt.date | None = None, five: str | None = None):
    """A consistent report of ``organ`` for ``year`` (cells known), and its text."""
    record = make_record(random.Random(seed), "2019" if year <= 2020 else "2021", year, organ)
    if published:
        record.meta.published = published
    if five is not None:
        record.sections = [s.model_copy(update={"text": five}) if s.number == 5 else s for s in record.sections]
    return record, render_text(record, "pipe")


def upload(client: TestClient, token: str | None, name: str, data: bytes, **kw):
    headers = {"X-CSRF-Token": token} if token else {}
    return client.post("/api/upload", files=[("files", (name, data, "text/plain"))], headers=headers, **kw)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A corpus with seed 002 and three years of one generated organ (2022 with an injected T3-BALANCE)."""
    app = make_app(tmp_path_factory.mktemp("site"))
    client = TestClient(app)
    token = login(client, *REVIEWER)
    ids, records = {}, {}
    seed = seed_path("002")
    r = upload(client, token, seed.name, seed.read_bytes())
    assert r.status_code == 200, r.text
    ids["002"] = r.json()["results"][0]["id"]
    same_five = "本年度存在的主要问题是公开内容不够全面。下一步我们将加强培训，规范流程。"
    for year, seed_no in ((2021, 11), (2022, 12), (2023, 13)):
        record, text = generated(
            year,
            seed_no,
            published=dt.date(year + 1, 3, 15) if year == 2023 else None,
            five=same_five if year >= 2022 else None,
        )
        if year == 2022:
            record, changed = inject(record, "T3-BALANCE", random.Random(5))
            text = render_text(record, "pipe")
            records["changed"] = changed
        r = upload(client, token, f"gen_{year}.txt", text.encode())
        assert r.status_code == 200, r.text
        ids[year], records[year] = r.json()["results"][0]["id"], record
    client.post("/logout", data={"csrf_token": token})
    return app, client, ids, records


def test_home_redirects_and_list_pages(site):
    _, client, _, _ = site
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/reports"
    page = client.get("/reports")
    assert page.status_code == 200 and "报告列表" in page.text and "缙云县人力资源和社会保障局" in page.text
    data = client.get("/api/reports").json()
    assert data["total"] == 4
    assert {r["year"] for r in data["reports"]} == {2020, 2021, 2022, 2023}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("year=2022", {2022}),
        ("county=会宁县", {2021, 2022, 2023}),
        ("county=缙云县", {2020}),
        ("organ=縉雲縣", {2020}),
        ("organ=财政", {2021, 2022, 2023}),
        ("template=2019", {2020}),
        ("rule=T3-BALANCE", {2022}),
        ("severity=error&rule=T3-BALANCE", {2022}),
        ("severity=info&rule=T3-BALANCE", set()),
        ("year=", {2020, 2021, 2022, 2023}),
        ("q=人力資源", {2020}),
    ],
)
def test_report_filters(site, query, expected):
    _, client, _, _ = site
    rows = client.get(f"/api/reports?{query}").json()["reports"]
    assert {r["year"] for r in rows} == expected


def test_region_options_follow_the_hierarchy(site):
    _, client, _, _ = site
    options = client.get("/api/reports?county=会宁县").json()["options"]["regions"]
    assert {"会宁县", "缙云县"} <= set(options["county"])


def test_report_cells_equal_the_source(site):
    _, client, ids, records = site
    seed = client.get(f"/api/reports/{ids['002']}").json()
    cells = seed["cells"]
    # Seed 002, hand-read: 行政許可 | 11 | 減5 | 31 (line 15); 政府集中采購 | 92 | 532934.41 (line 26).
    assert (cells["t2.licensing.prev"]["value"], cells["t2.licensing.change"]["value"]) == (11, -5)
    assert cells["t2.licensing.change"]["line"] == 15
    assert cells["t2.procurement.amount"]["value"] == 532934.41
    assert seed["summary"]["counts"] == {"error": 0, "warning": 0, "info": 0}
    generated_2021 = client.get(f"/api/reports/{ids[2021]}").json()["cells"]
    for key, cell in records[2021].cells.items():
        assert generated_2021[key]["value"] == (None if cell.value is None else float(cell.value)), key


def test_report_page_official_layout_and_summary(site):
    _, client, ids, records = site
    page = client.get(f"/reports/{ids[2022]}").text
    # The 2021 format has 22 result rows under "三、本年度办理结果"; 行政诉讼 spans ten columns.
    assert re.search(r'<th class="rowlabel" rowspan="22">三、本年度办理结果</th>', page)
    assert '<th colspan="10">行政诉讼</th>' in page
    assert page.index("审核摘要") < page.index("二、主动公开政府信息情况")
    summary = client.get(f"/api/reports/{ids[2022]}").json()["summary"]
    balance = [i for g in summary["groups"] for i in g["items"] if i["rule"] == "T3-BALANCE"]
    assert summary["groups"][0]["where"].startswith("表三") and balance
    changed = set(records["changed"])
    assert all(changed & set(i["keys"]) for i in balance)
    for item in balance:
        assert (
            item["difference"] == f"{abs(Decimal(item['found']) - Decimal(item['expected'])):f}"
        )  # an identity: unsigned
    for key in changed:  # a wrong cell is marked and linked to its source line
        assert re.search(
            rf'id="cell-{re.escape(key)}" class="cell number source bad" data-key="{re.escape(key)}" data-line="\d+"',
            page,
        )


def test_blank_cells_are_blank_not_zero(tmp_path):
    app = make_app(tmp_path)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    record, _ = generated(2022, 3)
    record.cells["t2.rules.issued"] = Cell(key="t2.rules.issued", state=State.blank)  # 规章·本年制发件数 left empty
    text = render_text(record, "pipe")
    r = upload(client, token, "blank.txt", text.encode())
    report_id = r.json()["results"][0]["id"]
    cell = client.get(f"/api/reports/{report_id}").json()["cells"]["t2.rules.issued"]
    assert (cell["state"], cell["value"]) == ("blank", None)
    page = client.get(f"/reports/{report_id}").text
    assert re.search(r'id="cell-t2\.rules\.issued" class="cell blank[^"]*"[^>]*></td>', page)


def test_source_and_original(site):
    _, client, ids, _ = site
    source = client.get(f"/api/reports/{ids['002']}/source").json()
    line15 = next(b for b in source["blocks"] if b.get("line") == 15)
    assert "行政許可" in line15["text"] and "減5" in line15["text"]
    original = client.get(f"/reports/{ids['002']}/original")
    assert original.content == seed_path("002").read_bytes()
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"].startswith("attachment")


def test_exports(site):
    _, client, ids, _ = site
    r = client.get("/export/reports.csv?county=会宁县")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "机关", "年度"] and len(rows) == 4
    cells = list(
        csv.DictReader(
            io.StringIO(client.get(f"/export/reports/{ids['002']}.csv?table=cells").content.decode("utf-8-sig"))
        )
    )
    assert next(c for c in cells if c["键"] == "t2.licensing.change")["数值"] == "-5"
    xlsx = client.get(f"/export/reports/{ids['002']}.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["单元格", "审核发现", "更正记录"]
    assert client.get("/export/reports.csv?table=nope").status_code == 404


def test_failures_listed_apart(tmp_path):
    client = TestClient(make_app(tmp_path))
    token = login(client, *REVIEWER)
    r = upload(client, token, "notes.txt", "会议纪要：今天讨论了食堂菜单。\n".encode() * 5)
    assert r.status_code == 422 and r.json()["results"][0]["ok"] is False
    failures = client.get("/api/failures").json()["failures"]
    assert [f["source"] for f in failures] == ["notes.txt"] and failures[0]["reason"]
    assert "notes.txt" in client.get("/failures").text
    assert client.get("/api/reports").json()["total"] == 0


def test_organ_search_and_history(site):
    _, client, _, records = site
    found = client.get("/api/organs?organ=財政").json()["organs"]
    assert [o["name"] for o in found] == [ORGAN]
    organ_id = found[0]["id"]
    assert client.get("/organs?organ=会宁").status_code == 200
    history = client.get(f"/api/organs/{organ_id}").json()
    assert [r["year"] for r in history["reports"]] == [2021, 2022, 2023]
    row = next(f for f in history["figures"] if f["key"] == "t3.new.total")
    expected = [int(records[y].cells["t3.new.total"].value) for y in (2021, 2022, 2023)]
    assert row["values"] == expected
    assert row["changed"] == [False, expected[1] != expected[0], expected[2] != expected[1]]
    five = {d["to"]: next(s for s in d["sections"] if s["number"] == 5)["overlap"] for d in history["diffs"]}
    assert five[2023] == 1.0 and five[2022] < 0.5  # 2023 repeats 2022's section 五 word for word
    page = client.get(f"/organs/{organ_id}").text
    assert "正文逐年差异" in page and "100.0%" in page


def test_coverage_with_registry(site):
    _, client, _, _ = site
    token = login(client, *ADMIN)
    registry = "名称,省,市,县\n会宁县财政局,甘肃省,白银市,会宁县\n会宁县教育局,甘肃省,白银市,会宁县\n".encode()
    r = client.post(
        "/api/organs/import", files={"file": ("名录.csv", registry, "text/csv")}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200 and r.json() == {"imported": 2}
    data = client.get("/api/coverage?year=2023&province=甘肃省").json()
    states = {o["name"]: (o["state"], o["days_late"]) for o in data["organs"]}
    # 2023 report published 2024-03-15, deadline 2024-01-31: 44 days late; 教育局 published nothing.
    assert states == {"会宁县财政局": ("late", 44), "会宁县教育局": ("missing", None)}
    assert data["counts"]["missing"] == 1
    assert "未发布年度报告" in client.get("/coverage?year=2023").text
    client.post("/logout", data={"csrf_token": token})


def test_dashboard_figures_and_chart_data(site):
    app, client, _, records = site
    data = client.get("/api/dashboard?county=会宁县").json()
    by_year = {r["year"]: r for r in data["tables"]["by_year"]["rows"]}
    for year in (2021, 2022, 2023):
        assert by_year[year]["new"] == records[year].cells["t3.new.total"].value
        assert by_year[year]["granted"] == records[year].cells["t3.granted.total"].value
    assert set(data["charts"]) == {"by_year", "open_rate", "correction", "rules", "regions"}
    rules = {r["rule"] for r in data["tables"]["rules"]["rows"]}
    assert "T3-BALANCE" in rules
    opened = sum(r["reports"] for r in data["tables"]["open_rate"]["rows"])
    assert opened == sum(1 for y in (2021, 2022, 2023) if records[y].cells["t3.total.total"].value)
    page = client.get("/dashboard").text
    assert 'data-chart="by_year"' in page and 'id="chart-by_year-option"' in page
    if app.state.vendor["echarts.min.js"]:  # installed by npm ci
        assert "/static/vendor/echarts.min.js" in page
    csv_text = client.get("/export/dashboard.csv?table=by_year&county=会宁县").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("年度,报告数,本年新收")


def test_static_docs_and_openapi(site):
    app, client, _, _ = site
    assert client.get("/static/app.js").status_code == 200
    if all(app.state.vendor.values()):
        assert client.get("/static/vendor/htmx.min.js").status_code == 200
        assert client.get("/static/vendor/echarts.min.js").status_code == 200
    assert client.get("/static/vendor/other.js").status_code == 404
    assert "swagger-ui" in client.get("/docs").text
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/reports",
        "/api/reports/{report_id}",
        "/api/upload",
        "/api/findings/{finding_id}/review",
        "/api/reports/{report_id}/cells",
        "/api/dashboard",
        "/api/coverage",
        "/api/organs/{organ_id}",
        "/export/reports.{fmt}",
    ):
        assert path in paths
    assert client.get("/nope").status_code == 404 and client.get("/api/nope").json()["status"] == 404


def test_errors_answer_by_their_type(tmp_path):
    """A missing report, finding or organ is 404; a value the user gave that is wrong is 422; a corpus that
    cannot be read is 503 (a failure of ours, not a bad request). Each keeps its Chinese message."""
    app = make_app(tmp_path)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    broken, _ = inject(generated(2022, 3)[0], "T3-BALANCE", random.Random(3))
    report_id = upload(client, token, "r.txt", render_text(broken, "pipe").encode()).json()["results"][0]["id"]
    missing = report_id + 1000
    r = client.get(f"/api/reports/{missing}")
    assert (r.status_code, r.json()["error"]) == (404, f"报告 {missing} 不存在")
    page = client.get(f"/reports/{missing}")
    assert page.status_code == 404 and f"报告 {missing} 不存在" in page.text and "<html" in page.text
    assert client.get(f"/api/organs/{missing}").status_code == 404
    assert client.get(f"/reports/{missing}/original").status_code == 404
    r = client.post(f"/api/findings/{missing}/review", data={"status": "confirmed"}, headers={"X-CSRF-Token": token})
    assert (r.status_code, r.json()["error"]) == (404, f"审核发现 {missing} 不存在")
    r = client.post(
        f"/api/reports/{missing}/cells", data={"key": "t3.new.natural", "value": "1"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 404
    finding = client.get(f"/api/reports/{report_id}").json()["findings"][0]["id"]
    r = client.post(f"/api/findings/{finding}/review", data={"status": "maybe"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "未知的审核状态" in r.json()["error"]
    basic = "Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    r = client.post("/api/users", data={"name": "a b", "password": "password12"}, headers={"Authorization": basic})
    assert r.status_code == 422 and "用户名只能包含" in r.json()["error"]
    r = client.post(
        "/api/users", data={"name": REVIEWER[0], "password": "password12"}, headers={"Authorization": basic}
    )
    assert r.status_code == 422 and "该用户已存在" in r.json()["error"]

    def unreadable(*args, **kwargs):
        raise StoreError(app.state.corpus.url, "无法读取数据库")

    app.state.corpus.failures = unreadable
    r = client.get("/api/failures")
    assert (r.status_code, r.json()["error"]) == (503, "无法读取数据库")
    assert client.get("/failures").status_code == 503


def test_unauthenticated_writes_are_refused(site):
    _, client, ids, _ = site
    client.cookies.clear()
    finding = client.get(f"/api/reports/{ids[2022]}").json()["findings"][0]["id"]
    for url, kw in [
        ("/api/upload", {"files": [("files", ("a.txt", b"x", "text/plain"))]}),
        (f"/api/findings/{finding}/review", {"data": {"status": "dismissed"}}),
        (f"/api/reports/{ids[2022]}/cells", {"data": {"key": "t3.new.natural", "value": "1"}}),
        ("/api/organs/import", {"files": {"file": ("a.csv", b"name\nx\n", "text/csv")}}),
        ("/api/users", {"data": {"name": "eve", "password": "password12"}}),
    ]:
        r = client.post(url, **kw)
        assert r.status_code == 401, url
    assert client.get(f"/api/reports/{ids[2022]}").json()["findings"][0]["status"] == "open"


def test_roles_and_basic_auth(site):
    _, client, _, _ = site
    client.cookies.clear()
    token = login(client, *REVIEWER)
    r = client.post(
        "/api/organs/import", files={"file": ("a.csv", b"name\nx\n", "text/csv")}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 403
    assert client.get("/users").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/api/me").json()["user"] is None
    basic = "Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    r = client.post(
        "/api/users",
        data={"name": "carol", "password": "carol-pass-1", "role": "reviewer"},
        headers={"Authorization": basic},
    )
    assert r.status_code == 201 and r.json() == {"name": "carol", "role": "reviewer"}
    assert login(client, "carol", "carol-pass-1")
    client.cookies.clear()
    wrong = "Basic " + base64.b64encode(f"{ADMIN[0]}:nope".encode()).decode()
    assert (
        client.post(
            "/api/users", data={"name": "x1", "password": "password12"}, headers={"Authorization": wrong}
        ).status_code
        == 401
    )


def test_login_failure_and_admin_page(site):
    _, client, _, _ = site
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"name": ADMIN[0], "password": "wrong", "csrf_token": token})
    assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = client.post("/login", data={"name": ADMIN[0], "password": ADMIN[1], "csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post(
        "/login",
        data={"name": ADMIN[0], "password": ADMIN[1], "csrf_token": token, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"  # no open redirect
    assert "rev" in client.get("/users").text
    client.cookies.clear()


def test_csrf_is_required_for_cookie_sessions(tmp_path):
    client = TestClient(make_app(tmp_path))
    token = login(client, *REVIEWER)
    _, text = generated(2021, 4)
    assert upload(client, None, "a.txt", text.encode()).status_code == 403
    assert upload(client, "forged-token", "a.txt", text.encode()).status_code == 403
    assert upload(client, token, "a.txt", text.encode()).status_code == 200


def test_upload_limits(tmp_path):
    client = TestClient(make_app(tmp_path))
    token = login(client, *REVIEWER)
    big = upload(client, token, "big.txt", b"a" * 600_000)  # over the 0.5 MB file limit
    assert big.status_code == 413 and "MB" in big.json()["results"][0]["error"]
    huge = upload(client, token, "huge.txt", b"a" * 1_200_000)  # over the 1 MB request limit
    assert huge.status_code == 413
    assert upload(client, token, "tool.exe", b"MZ\x90\x00binary").status_code == 415
    png = upload(client, token, "image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert png.status_code == 415 and "文件内容" in png.json()["results"][0]["error"]
    assert client.get("/api/reports").json()["total"] == 0
    assert client.get("/api/failures").json()["failures"] == []


def test_several_files_in_one_request(tmp_path):
    client = TestClient(make_app(tmp_path))
    token = login(client, *REVIEWER)
    files = [("files", (f"r{y}.txt", generated(y, y)[1].encode(), "text/plain")) for y in (2021, 2022)]
    files.append(("files", ("bad.exe", b"MZ", "application/octet-stream")))
    r = client.post("/api/upload", files=files, headers={"X-CSRF-Token": token})
    body = r.json()
    assert r.status_code == 200 and (body["added"], body["failed"]) == (2, 1)
    assert [x["status"] for x in body["results"]] == [200, 200, 415]


def test_review_and_correction_reaudit(tmp_path):
    client = TestClient(make_app(tmp_path))
    token = login(client, *REVIEWER)
    record, _ = generated(2022, 8)
    broken, changed = inject(record, "T3-BALANCE", random.Random(2))
    report_id = upload(client, token, "broken.txt", render_text(broken, "pipe").encode()).json()["results"][0]["id"]
    findings = client.get(f"/api/reports/{report_id}").json()["findings"]
    fees = next(f for f in findings if f["rule"] != "T3-BALANCE") if len(findings) > 2 else findings[-1]
    r = client.post(
        f"/api/findings/{fees['id']}/review",
        data={"status": "dismissed", "comment": "已核实无误"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200 and r.json()["finding"]["status"] == "dismissed"
    assert r.json()["finding"]["reviewer"] == REVIEWER[0] and r.json()["finding"]["comment"] == "已核实无误"
    bad = client.post(f"/api/findings/{fees['id']}/review", data={"status": "maybe"}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 422
    for key in changed:  # put back the values the generator wrote: the balance holds again
        r = client.post(
            f"/api/reports/{report_id}/cells",
            data={"key": key, "value": str(record.cells[key].value), "comment": "按原件更正"},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200
    after = client.get(f"/api/reports/{report_id}").json()
    assert not [f for f in after["findings"] if f["rule"] in ("T3-BALANCE", "T3-COLUMNS")]
    log = after["corrections"]
    assert [c["key"] for c in log] == list(changed)
    assert all(c["who"] == REVIEWER[0] and c["old_value"] == str(broken.cells[c["key"]].value) for c in log)
    assert after["cells"][changed[0]]["origin"] == "corrected"
    assert (
        client.post(
            f"/api/reports/{report_id}/cells", data={"key": "t9.bogus", "value": "1"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 422
    )
    # A page form gets a redirect back to the report.
    r = client.post(
        f"/api/reports/{report_id}/cells",
        data={"key": changed[0], "value": "—", "csrf_token": token},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/reports/{report_id}#cell-{changed[0]}"
    assert client.get(f"/api/reports/{report_id}").json()["cells"][changed[0]]["state"] == "blank"


def test_hostile_report_text_is_escaped(tmp_path):
    client = TestClient(make_app(tmp_path))
    token = login(client, *REVIEWER)
    _, text = generated(2022, 9, organ="会宁县审计局")
    text = text.replace("一、总体情况", f'一、总体情况\n{HOSTILE}\n=HYPERLINK("http://x")', 1)
    r = upload(client, token, "x<img src=x onerror=alert(3)>.txt", text.encode())
    assert r.status_code == 200, r.text
    report_id = r.json()["results"][0]["id"]
    upload(client, token, "y<img src=x onerror=alert(4)>.txt", f"{HOSTILE}\n".encode() * 3)  # unreadable
    pages = [client.get(u).text for u in (f"/reports/{report_id}", "/reports", "/failures")]
    for page in pages:
        assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]  # shown, as text, in the source pane
    assert "x&lt;img src=x onerror=alert(3)&gt;.txt" in pages[1]
    assert "y&lt;img src=x onerror=alert(4)&gt;.txt" in pages[2]
    assert client.get("/reports").headers["content-security-policy"].startswith("default-src 'self'")
    sections = client.get(f"/export/reports/{report_id}.csv?table=cells").content.decode("utf-8-sig")
    assert "HYPERLINK" not in sections  # cells only; the formula guard is checked on a text column below
    listing = client.get("/export/failures.csv").content.decode("utf-8-sig")
    assert "y<img src=x onerror=alert(4)>.txt" in listing


def test_csv_formula_guard():
    from ogi.serve.exports import to_csv

    spec = {"columns": [["a", "文本"], ["b", "数"]], "rows": [{"a": '=HYPERLINK("http://x")', "b": -5}]}
    rows = list(csv.reader(io.StringIO(to_csv(spec).decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "-5"]


def test_read_only_and_private_sites(tmp_path):
    (tmp_path / "ro").mkdir()
    ro = TestClient(make_app(tmp_path / "ro", read_only=True))
    token = login(ro, *REVIEWER)
    r = upload(ro, token, "a.txt", generated(2021, 4)[1].encode())
    assert r.status_code == 403 and "只读" in r.json()["error"]
    assert ro.get("/reports").status_code == 200
    (tmp_path / "private").mkdir()
    private = TestClient(make_app(tmp_path / "private", anonymous_read=False))
    assert private.get("/api/reports").status_code == 401
    r = private.get("/reports?year=2021", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/reports%3Fyear%3D2021"
    login(private, *REVIEWER)
    assert private.get("/api/reports").status_code == 200


def test_behind_a_reverse_proxy(tmp_path):
    for _app, client in [
        (a := create_app(str(tmp_path / "p.db"), Settings(), root_path="/ogi"), TestClient(a)),
        (b := create_app(str(tmp_path / "p.db"), Settings()), TestClient(b, root_path="/ogi")),
    ]:
        page = client.get("/reports")
        assert (
            page.status_code == 200 and 'href="/ogi/static/app.css"' in page.text and 'href="/ogi/upload"' in page.text
        )
        assert client.get("/", follow_redirects=False).headers["location"] == "/ogi/reports"
        assert client.get("/api/reports").status_code == 200


def test_cli_user_add_and_serve(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from ogi.cli import app as cli

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    r = runner.invoke(
        cli, ["user", "add", "boss", "--role", "admin", "--password-stdin", "--db", db], input="boss-password\n"
    )
    assert r.exit_code == 0, r.output
    assert (
        runner.invoke(cli, ["user", "add", "boss", "--password-stdin", "--db", db], input="another-pw\n").exit_code == 2
    )
    assert runner.invoke(cli, ["user", "add", "weak", "--password-stdin", "--db", db], input="short\n").exit_code == 2
    assert "boss" in runner.invoke(cli, ["user", "list", "--db", db]).output
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: seen.update(kw, app=web))
    r = runner.invoke(cli, ["serve", "--db", db, "--port", "8123", "--root-path", "/ogi/", "--read-only"])
    assert r.exit_code == 0, r.output
    assert (seen["host"], seen["port"], seen["root_path"]) == ("127.0.0.1", 8123, "/ogi")
    assert seen["app"].state.settings.read_only
    client = TestClient(seen["app"], base_url="http://testserver/ogi")  # cookies are scoped to the prefix
    token = login(client, "boss", "boss-password", root="/ogi")
    assert (
        client.post(
            "/api/users", data={"name": "x2", "password": "password12"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 403
    )  # read-only
