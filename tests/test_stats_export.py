"""Figures and exports (issue #4 item 5) checked against totals computed from the generated records themselves."""

from __future__ import annotations

import csv
import json
import random
from decimal import Decimal

import pytest

from ogi.render import inject
from tests.builders import generated, total

PROVINCE = {"缙云县": "浙江省", "会宁县": "甘肃省", "高港区": "江苏省"}


@pytest.fixture
def filled(corpus):
    records = generated(n_organs=6, years=(2019, 2020, 2021, 2022))
    rng = random.Random(3)
    for i in (1, 9):  # two reports break T3-BALANCE in two columns each
        records[i], _ = inject(records[i], "T3-BALANCE", rng)
        from ogi.audit import audit

        records[i].findings = audit(records[i])
    for r in records:
        corpus.add(r, refresh=False)
    corpus.refresh()
    return corpus, records


def province_of(r):
    return next(p for county, p in PROVINCE.items() if county in r.meta.organ)


def test_totals_by_year_and_province(filled):
    corpus, records = filled
    keys = ["t3.new.total", "t3.granted.natural", "t2.licensing.decisions", "t4.suit_after.total"]
    rows = corpus.totals(keys, by=("year", "province"))
    assert len(rows) == 4 * 3
    for row in rows:
        mine = [r for r in records if r.meta.year == row["year"] and province_of(r) == row["province"]]
        assert row["reports"] == len(mine) == 2
        for key in keys:
            assert row[key] == total(mine, key), (row, key)


def test_totals_by_kind_with_a_filter(filled):
    corpus, records = filled
    rows = {r["kind"]: r for r in corpus.totals("t3.new.total", by=("kind",), year=2021)}
    gov = [r for r in records if r.meta.year == 2021 and r.meta.organ.endswith("人民政府")]
    dept = [r for r in records if r.meta.year == 2021 and not r.meta.organ.endswith("人民政府")]
    assert rows["人民政府"]["t3.new.total"] == total(gov, "t3.new.total")
    assert rows["政府部门"]["t3.new.total"] == total(dept, "t3.new.total")


def test_pooled_rates(filled):
    corpus, records = filled
    for row in corpus.rates(by=("year",)):
        mine = [r for r in records if r.meta.year == row["year"]]
        assert row["handled"] == total(mine, "t3.new.total") + total(mine, "t3.carried_in.total")
        opened = total(mine, "t3.granted.total") + total(mine, "t3.partial.total")
        assert row["open_rate"] == round(opened / total(mine, "t3.total.total"), 4)
        assert row["legal_share"] == round(1 - total(mine, "t3.new.natural") / total(mine, "t3.new.total"), 4)
        review = total(mine, "t4.review.total")
        assert row["review_correction"] == (round(total(mine, "t4.review.corrected") / review, 4) if review else None)


def test_rankings(filled):
    corpus, records = filled
    top = corpus.ranking("t3.new.total", 5)
    assert [r["value"] for r in top] == sorted((int(r.value("t3.new.total")) for r in records), reverse=True)[:5]
    rates = corpus.ranking("open_rate", 3, min_base=10, year=2022)
    mine = [r for r in records if r.meta.year == 2022 and r.value("t3.total.total") >= 10]
    expected = sorted(
        ((r.value("t3.granted.total") + r.value("t3.partial.total")) / r.value("t3.total.total") for r in mine),
        reverse=True,
    )[:3]
    assert [r["value"] for r in rates] == [round(x, 4) for x in expected]


def test_findings_by_rule(filled):
    corpus, _ = filled
    rows = {(r["rule"], r["severity"]): r for r in corpus.findings_by_rule()}
    assert (rows["T3-BALANCE", "error"]["findings"], rows["T3-BALANCE", "error"]["reports"]) == (4, 2)
    assert corpus.count(rule="T3-BALANCE") == 2


def test_csv_wide_and_long(filled, tmp_path):
    from ogi.export import export

    corpus, records = filled
    n = export(corpus, tmp_path / "wide.csv", "csv", "wide", year=2021)
    assert n == 6
    with (tmp_path / "wide.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    mine = {r.meta.organ: r for r in records if r.meta.year == 2021}
    for row in rows:
        r = mine[row["organ_name"]]
        # Money is in 万元 with the unit in the column name (t2.fees.amount: 万元 by its header).
        assert {k: row.get(k, row.get(f"{k}[万元]")) for k in r.cells} == {
            k: str(c.value) if c.unit in (None, "万元") or c.value is None else row[f"{k}[万元]"]
            for k, c in r.cells.items()
        }
    assert "t2.rules.made" not in rows[0]  # only the keys of the formats selected
    n = export(corpus, tmp_path / "long.csv", "csv", "long")
    assert n == sum(len(r.cells) for r in records)
    with (tmp_path / "long.csv").open(encoding="utf-8-sig") as f:
        first = next(csv.DictReader(f))
    assert first["state"] == "number" and first["origin"] == "source" and first["label"].startswith("表二")


def test_parquet(filled, tmp_path):
    import pyarrow.parquet as pq

    from ogi.export import export

    corpus, records = filled
    export(corpus, tmp_path / "w.parquet", "parquet", "wide")
    table = pq.read_table(tmp_path / "w.parquet").to_pylist()
    assert len(table) == 24
    assert sum(row["t3.new.total"] for row in table) == total(records, "t3.new.total")
    export(corpus, tmp_path / "l.parquet", "parquet", "long", template="2019")
    long = pq.read_table(tmp_path / "l.parquet")
    assert long.num_rows == sum(len(r.cells) for r in records if r.meta.template == "2019")


def test_xlsx_official_layout(filled, tmp_path):
    import openpyxl

    from ogi.export import export

    corpus, records = filled
    assert export(corpus, tmp_path / "out.xlsx", "xlsx") == 24
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == [
        "说明",
        "报告",
        "表二(2019版)",
        "表二(2021版)",
        "表三(2019版)",
        "表三(2021版)",
        "表四",
        "审核发现",
    ]
    t3 = book["表三(2021版)"]
    assert [t3.cell(1, c).value for c in range(1, 7)] == [
        "机关",
        "省",
        "市",
        "县(区)",
        "年度",
        "一、本年新收政府信息公开申请数量",
    ]
    assert [t3.cell(2, c).value for c in range(6, 13)] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    assert "F1:L1" in {str(m) for m in t3.merged_cells.ranges}
    assert t3.max_row == 2 + 12
    by_organ_year = {(r.meta.organ, r.meta.year): r for r in records}
    for row in t3.iter_rows(min_row=3, values_only=True):
        assert row[11] == by_organ_year[row[0], row[4]].value("t3.new.total")
    assert book["表四"].max_row == 2 + 24
    assert book["报告"].cell(1, 2).value == "机关"
    findings = list(book["审核发现"].iter_rows(min_row=2, values_only=True))
    assert sum(1 for f in findings if f[3] == "T3-BALANCE") == 4


def test_cli_stats_and_export(filled, tmp_path, db_url):
    from typer.testing import CliRunner

    from ogi.cli import app

    _, records = filled
    runner = CliRunner()
    result = runner.invoke(app, ["stats", "--db", db_url, "-k", "t3.new.total", "--by", "year", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["year"]: r["t3.new.total"] for r in rows} == {
        y: total([r for r in records if r.meta.year == y], "t3.new.total") for y in (2019, 2020, 2021, 2022)
    }
    result = runner.invoke(app, ["stats", "--db", db_url, "--findings"])
    assert result.exit_code == 0 and "T3-BALANCE" in result.stdout
    result = runner.invoke(app, ["stats", "--db", db_url, "-k", "t9.nothing"])
    assert result.exit_code == 2 and "未知的单元格" in result.output
    result = runner.invoke(
        app, ["export", str(tmp_path / "x.xlsx"), "--db", db_url, "-f", "xlsx", "--region", "会宁县"]
    )
    assert result.exit_code == 0 and "已导出 8 份报告" in result.stdout
    result = runner.invoke(app, ["organs", "--db", db_url, "--coverage", "2022"])
    assert result.exit_code == 0 and "会宁县" in result.stdout


HOSTILE = ("=1+1", "@SUM(A1)", "-2+3", "+3", "\tx", "\rx")


def test_tables_neutralise_formulas_and_keep_numbers():
    import io

    import openpyxl

    from ogi.export.tables import csv_bytes, xlsx_bytes

    header = ["文本", "整数", "小数"]
    rows = [[text, -5, Decimal("-2.50")] for text in HOSTILE]
    data = csv_bytes(header, rows)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed[0] == header
    assert [r[0] for r in parsed[1:]] == ["'" + text for text in HOSTILE]
    assert all(r[1:] == ["-5", "-2.50"] for r in parsed[1:])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([("表", header, rows)]))).active
    for row, text in zip(sheet.iter_rows(min_row=2), HOSTILE, strict=True):
        assert (row[0].value, row[0].data_type) == (text, "s")  # a string cell: shown as typed, never evaluated
        assert (row[1].value, row[1].data_type, row[2].value) == (-5, "n", -2.5)


def test_exports_neutralise_hostile_organ_names_and_comments(corpus, tmp_path):
    import openpyxl

    from ogi.export import export
    from tests.builders import record

    corpus.add(record("=1+1县人民政府", 2021, {"t3.new.natural": -5}), refresh=False)
    corpus.add(record("-2+3县财政局", 2021), refresh=False)
    finding = corpus.findings()[0]
    corpus.review_finding(finding.id, "dismissed", who="审核员", comment="@SUM(A1)")
    export(corpus, tmp_path / "wide.csv", "csv", "wide")
    with (tmp_path / "wide.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {r["organ_name"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"'=1+1县人民政府", "'-2+3县财政局"}
    assert rows["'=1+1县人民政府"]["t3.new.natural"] == "-5"  # a negative number stays a number
    export(corpus, tmp_path / "out.xlsx", "xlsx")
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    listing = {c.value: c.data_type for c in book["报告"]["C"][1:]}
    assert listing == {"=1+1县人民政府": "s", "-2+3县财政局": "s"}
    t3 = book["表三(2021版)"]
    new_natural = next(c for c in range(1, t3.max_column + 1) if t3.cell(2, c).value == "自然人")
    assert sorted(t3.cell(r, new_natural).value for r in (3, 4)) == [-5, 0]
    reviewed = next(r for r in book["审核发现"].iter_rows(min_row=2) if r[11].value)
    assert (reviewed[10].value, reviewed[11].value, reviewed[11].data_type) == ("不成立", "@SUM(A1)", "s")
