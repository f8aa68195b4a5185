"""Issue 14: harmonised variables across the 2019 and 2021 formats, money in one unit, and an export whose
file name and format agree. Expected values are the cells written into the generated reports."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal

import pytest

from ogi.harmonise import HARMONISED
from ogi.model import InvalidInput

from .builders import generated, record
from .conftest import ROOT


@pytest.fixture
def mixed(corpus):
    records = generated(n_organs=3, years=(2019, 2020, 2021, 2022), seed=14)
    for r in records:
        corpus.add(r)
    return corpus, records


def test_wide_harmonised_export_has_one_column_per_variable(mixed, tmp_path):
    import pandas as pd

    from ogi.export import META, export

    corpus, records = mixed
    n = export(corpus, tmp_path / "h.csv", "csv", "harmonised")
    assert n == len(records)
    frame = pd.read_csv(tmp_path / "h.csv", encoding="utf-8-sig")
    names = [h.name for h in HARMONISED]
    assert list(frame.columns) == [m for m, _ in META] + names
    assert frame.columns.is_unique
    assert set(frame["template"].astype(str)) == {"2019", "2021"}
    by_source = {r.meta.source: r for r in records}
    for _, row in frame.iterrows():
        r = by_source[row["source"]]
        v = {k: c.value for k, c in r.cells.items()}
        if r.meta.template == "2019":
            assert row["t2.rules.issued"] == v["t2.rules.made"]  # 本年新制作数量 ≡ 本年制发件数
            assert row["t3.other.total"] == v["t3.other.total"]
        else:
            assert row["t2.rules.issued"] == v["t2.rules.issued"]
            parts = ("t3.other.no_correction.total", "t3.other.no_fee.total", "t3.other.misc.total")
            assert row["t3.other.total"] == sum(v[k] for k in parts)  # the three sub-rows add up to the one row
        assert row["t3.granted.total"] == v["t3.granted.total"]


def test_harmonised_stats_sum_both_formats(mixed):
    corpus, records = mixed
    rows = corpus.totals("t2.rules.issued", by=(), harmonised=True)
    expected = sum(r.cells["t2.rules.made" if r.meta.template == "2019" else "t2.rules.issued"].value for r in records)
    assert rows[0]["t2.rules.issued"] == expected and rows[0]["reports"] == len(records)
    with pytest.raises(InvalidInput, match="统一变量"):
        corpus.totals("t2.rules.repealed", by=(), harmonised=True)  # 2021 only: no harmonised variable


def test_money_in_wan_in_the_wide_form_raw_in_the_long(corpus, tmp_path):
    from ogi.export import export

    fees = record("安吉县财政局", 2021, {"t2.fees.amount": 251000})
    fees.cells["t2.fees.amount"].unit = "元"  # "251000元" written in the cell
    plain_fees = record("安吉县教育局", 2021, {"t2.fees.amount": 3})  # 万元 by the header
    bought = record("安吉县水利局", 2019, {"t2.procurement.amount": 120})  # no unit anywhere
    bought_yuan = record("安吉县商务局", 2019, {"t2.procurement.amount": 50000})
    bought_yuan.cells["t2.procurement.amount"].unit = "元"
    for r in (fees, plain_fees, bought, bought_yuan):
        corpus.add(r)
    export(corpus, tmp_path / "w.csv", "csv", "wide")
    with (tmp_path / "w.csv").open(encoding="utf-8-sig") as f:
        rows = {r["organ_name"]: r for r in csv.DictReader(f)}
    assert "t2.fees.amount" not in rows["安吉县财政局"]
    assert Decimal(rows["安吉县财政局"]["t2.fees.amount[万元]"]) == Decimal("25.1")
    assert Decimal(rows["安吉县教育局"]["t2.fees.amount[万元]"]) == 3
    assert rows["安吉县水利局"]["t2.procurement.amount[万元]"] == ""  # never converted by guess
    assert rows["安吉县水利局"]["t2.procurement.amount[单位不明]"] == "120"
    assert Decimal(rows["安吉县商务局"]["t2.procurement.amount[万元]"]) == 5
    export(corpus, tmp_path / "l.csv", "csv", "long")
    with (tmp_path / "l.csv").open(encoding="utf-8-sig") as f:
        cell = next(r for r in csv.DictReader(f) if r["organ"] == "安吉县财政局" and r["key"] == "t2.fees.amount")
    assert (cell["value"], cell["unit"]) == ("251000", "元")


def test_export_format_and_file_name_must_agree():
    from ogi.export import format_of

    assert format_of("out.csv", None) == "csv" and format_of("a/b.XLSX", None) == "xlsx"
    with pytest.raises(InvalidInput, match="扩展名"):
        format_of("out.json", None)
    with pytest.raises(InvalidInput, match="不符"):
        format_of("out.json", "csv")
    with pytest.raises(InvalidInput, match="不符"):
        format_of("out.xlsx", "csv")


def test_cli_refuses_csv_into_json_and_writes_long_xlsx(mixed, tmp_path, db_url):
    import openpyxl

    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "ogi", "export", str(tmp_path / "out.json"), "--db", db_url],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 2 and "扩展名" in out.stderr and not (tmp_path / "out.json").exists()
    out = subprocess.run(
        [sys.executable, "-m", "ogi", "export", str(tmp_path / "l.xlsx"), "--form", "long", "--db", db_url],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    sheet = openpyxl.load_workbook(tmp_path / "l.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]][:5] == ["报告编号", "机关", "年度", "格式", "单元格"]
    _, records = mixed
    assert sheet.max_row == 1 + sum(len(r.cells) for r in records)


def test_exports_carry_the_division_code(corpus, tmp_path):
    import pyarrow.parquet as pq

    from ogi.export import export

    corpus.add(record("甘肃省白银市会宁县工业和信息化局", 2021))
    corpus.add(record("泾县石湖镇人民政府", 2021))
    export(corpus, tmp_path / "w.parquet", "parquet", "harmonised")
    rows = {r["organ_name"]: r for r in pq.read_table(tmp_path / "w.parquet").to_pylist()}
    assert (rows["甘肃省白银市会宁县工业和信息化局"]["division_code"], rows["泾县石湖镇人民政府"]["division_code"]) == (
        "620422",
        "341823",
    )
    assert rows["泾县石湖镇人民政府"]["township"] == "石湖镇"
