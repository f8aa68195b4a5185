"""The corpus store (issue #4 item 1, 3, 6): round trip, idempotence, re-parse, corrections, reviews, organs,
filters — on SQLite and, with OGI_PG_URL, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ogi.corpus import Corpus, database_url
from ogi.corpus.rows import compress_source
from ogi.model import Cell, InvalidInput, NotFound, Origin, State, StoreError, Where
from tests.builders import generated, record


def test_round_trip_keeps_every_detail(corpus):
    r = record("缙云县人力资源和社会保障局", 2020, {"t3.new.natural": 7, "t3.new.total": 7})
    r.cells["t2.procurement.amount"] = Cell(
        key="t2.procurement.amount",
        value=Decimal("532934.41"),
        state=State.number,
        raw="532934.41",
        where=Where(line=40, row=3, col=2),
    )
    r.cells["t2.fees.change"] = Cell(key="t2.fees.change", value=-5, state=State.number, raw="減5")
    r.cells["t2.penalty.prev"] = Cell(
        key="t2.penalty.prev", value=251000, unit="元", state=State.number, raw="251000元"
    )
    r.cells["t2.coercion.prev"] = Cell(key="t2.coercion.prev", state=State.not_applicable, raw="无")
    r.cells["t2.coercion.change"] = Cell(key="t2.coercion.change", state=State.unreadable, raw="3件多")
    r.meta.published = dt.date(2021, 1, 11)
    r.sections[4].text = "一是公开内容不够全面。"
    added = corpus.add(r, b"source bytes")
    back = corpus.get(added.id)
    assert back.cells == r.cells
    assert back.cells["t2.procurement.amount"].value == Decimal("532934.41")
    assert back.cells["t2.fees.change"].raw == "減5"
    assert back.meta == r.meta
    assert back.sections == r.sections
    assert corpus.source(added.id) == b"source bytes"


def test_same_content_twice_changes_nothing(corpus):
    r = record("会宁县工业和信息化局", 2021, {"t3.new.natural": 2, "t3.new.total": 2})
    first = corpus.add(r)
    with corpus.engine.connect() as conn:
        before = conn.execute(sa.text("select count(*) from cells")).scalar()
    again = corpus.add(r)
    assert (first.status, again.status, again.id) == ("added", "unchanged", first.id)
    with corpus.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from cells")).scalar() == before == 1  # one row a report
        value = conn.execute(sa.text('select "t3.new.natural" from cells')).scalar()
    assert value == 2
    assert len(corpus.get(first.id).cells) == 200  # the 2021 format's 200 cells, packed in that row
    assert corpus.count() == 1


def test_new_parser_version_reparses_in_place_and_keeps_corrections(corpus):
    r = record("高港区行政审批局", 2019, {"t3.new.natural": 3, "t3.new.total": 3}, sha="same-bytes")
    rid = corpus.add(r).id
    corpus.set_cell(rid, "t2.rules.made", "4", who="审核员甲", comment="原文为4")
    r2 = r.model_copy(deep=True)
    r2.parser_version = "test-2"
    r2.cells["t3.new.commercial"] = Cell(key="t3.new.commercial", value=1, state=State.number, raw="1")
    result = corpus.add(r2)
    assert (result.id, result.status) == (rid, "reparsed")
    back = corpus.get(rid)
    assert back.parser_version == "test-2"
    assert back.value("t3.new.commercial") == 1
    assert back.value("t2.rules.made") == 4 and back.cells["t2.rules.made"].origin is Origin.corrected
    assert corpus.count() == 1


def test_set_cell_keeps_the_original_and_re_audits(corpus):
    values = {f"t3.{row}.{c}": 5 for row in ("new", "granted", "total") for c in ("natural", "total")}
    rid = corpus.add(record("安吉县教育局", 2021, values)).id
    assert not [f for f in corpus.get(rid).findings if f.rule == "T3-BALANCE"]
    back = corpus.set_cell(rid, "t3.new.natural", "6", who="张三", comment="核对原件")
    assert back.value("t3.new.natural") == 6
    assert back.cells["t3.new.natural"].origin is Origin.corrected
    assert ("T3-BALANCE", "error") in {(f.rule, f.severity.value) for f in back.findings}
    (log,) = corpus.corrections(rid)
    assert (log["old_value"], log["new_value"], log["who"], log["comment"]) == ("5", "6", "张三", "核对原件")
    assert corpus.reports()[0].errors >= 1
    back = corpus.set_cell(rid, "t3.new.natural", "5", who="张三")
    assert not [f for f in back.findings if f.rule == "T3-BALANCE"]
    assert len(corpus.corrections(rid)) == 2


def test_review_survives_re_audit(corpus):
    r = record("泾县财政局", 2021, {"t3.new.natural": 1, "t3.new.total": 1})  # unbalanced: T3-BALANCE
    rid = corpus.add(r).id
    target = next(f for f in corpus.findings(rid) if f.rule == "T3-BALANCE")
    corpus.review_finding(target.id, "confirmed", who="李四", comment="已与机关核实")
    corpus.set_cell(rid, "t2.rules.issued", "1", who="李四")  # re-audit: the same finding comes back
    again = next(f for f in corpus.findings(rid) if f.rule == "T3-BALANCE" and f.keys == target.keys)
    assert (again.status, again.reviewer, again.comment) == ("confirmed", "李四", "已与机关核实")
    with pytest.raises(InvalidInput):
        corpus.review_finding(target.id, "maybe", who="李四")


def test_one_organ_across_spellings(corpus):
    corpus.add(record("浙江省丽水市缙云县教育局", 2019))
    corpus.add(record("浙江省麗水市縉雲縣教育局", 2020))  # traditional
    corpus.add(record("浙江省 丽水市 缙云县 教育局", 2021))  # spaces
    organs = corpus.organs()
    assert len(organs) == 1
    o = organs[0]
    assert (o["province"], o["city"], o["county"], o["kind"], o["sector"]) == (
        "浙江省",
        "丽水市",
        "缙云县",
        "政府部门",
        "教育",
    )
    assert [r.year for r in corpus.history(o["id"])] == [2019, 2020, 2021]


def test_name_without_region_joins_the_single_organ_with_that_core(corpus):
    corpus.add(record("会宁县工业和信息化局", 2020))
    corpus.add(record("工业和信息化局", 2021))
    assert len(corpus.organs()) == 1
    corpus.add(record("泾县工业和信息化局", 2021))  # a second one: a bare name is now ambiguous
    corpus.add(record("工信局", 2022))
    assert len(corpus.organs()) == 3


def test_organ_list_import_merges_and_corrects(corpus, tmp_path):
    corpus.add(record("高新区质安办", 2020))
    corpus.add(record("高新区建设工程质量安全监督站", 2021))
    assert len(corpus.organs()) == 2
    listing = tmp_path / "organs.csv"
    listing.write_text(
        "名称,别名,省,市,县,类型\n泰州市高新区建设工程质量安全监督站,高新区质安办;高新区建设工程质量安全监督站,"
        "江苏省,泰州市,高新区,事业单位\n",
        encoding="utf-8-sig",
    )
    assert corpus.import_organs(listing) == 1
    (organ,) = corpus.organs()
    assert (organ["name"], organ["province"], organ["kind"], organ["reports"]) == (
        "泰州市高新区建设工程质量安全监督站",
        "江苏省",
        "事业单位",
        2,
    )
    assert [r.year for r in corpus.history(organ["id"])] == [2020, 2021]
    assert corpus.count(region="泰州市") == 2


def test_organ_list_xlsx(corpus, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "province", "kind"])
    book.active.append(["兰溪市民政局", "浙江省", "政府部门"])
    book.save(tmp_path / "organs.xlsx")
    assert corpus.import_organs(tmp_path / "organs.xlsx") == 1
    corpus.add(record("兰溪市民政局", 2021))
    (organ,) = corpus.organs()
    # 兰溪市 is a county-level city of 金华市 (行政区划 330781): the list's province agrees, the name fills the rest.
    assert (organ["province"], organ["city"], organ["county"], organ["reports"]) == ("浙江省", "金华市", "兰溪市", 1)
    with pytest.raises(InvalidInput, match="名称"):
        (tmp_path / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        corpus.import_organs(tmp_path / "bad.csv")


def test_filters(corpus):
    for r in generated(n_organs=6, years=(2020, 2021)):
        corpus.add(r, refresh=False)
    corpus.refresh()
    assert corpus.count() == 12
    assert corpus.count(year=2021) == 6
    assert corpus.count(year=[2020, 2021]) == 12
    assert corpus.count(region="缙云县") == 4
    assert corpus.count(region="甘肃省") == 4
    assert corpus.count(template="2019") == 6
    assert corpus.count(organ="人民政府") == 6
    assert corpus.count(kind="人民政府") == 6
    assert corpus.count(q="高港区") == 4
    assert all(r.year == 2021 for r in corpus.reports(year=2021))
    assert corpus.count(rule="FORMAT-YEAR") == 0
    by_findings = {r.id for r in corpus.reports(severity="warning", limit=None)}
    assert by_findings == {f.report_id for f in corpus.findings(severity="warning", limit=None)}


def test_coverage_lists_missing_organs(corpus):
    corpus.add(record("缙云县教育局", 2020))
    corpus.add(record("缙云县财政局", 2021))
    (row,) = corpus.coverage(2021, region="缙云县")
    assert (row["county"], row["organs"], row["reported"], row["missing"]) == ("缙云县", 2, 1, ["缙云县教育局"])


def test_failures_are_recorded_and_cleared(corpus):
    corpus.record_failure("a.txt", "abc", "EmptyFile", "文件为空", "test")
    corpus.record_failure("a.txt", "abc", "EmptyFile", "文件为空", "test")  # again: one row per source
    assert [(f["source"], f["reason"]) for f in corpus.failures()] == [("a.txt", "文件为空")]
    assert corpus.known() == {"abc": "test"}
    corpus.add(record("泾县民政局", 2021, sha="abc"))
    assert corpus.failures() == []


def test_missing_report_is_a_store_error(corpus):
    with pytest.raises(NotFound, match="报告 .* 不存在"):
        corpus.get(999)


def test_database_url(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OGI_DB", raising=False)
    assert database_url(None) == f"sqlite:///{tmp_path / 'ogi.db'}"
    monkeypatch.setenv("OGI_DB", "other.db")
    assert database_url(None) == f"sqlite:///{tmp_path / 'other.db'}"
    assert database_url("x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql://u:p@127.0.0.1/d") == "postgresql+psycopg://u:p@127.0.0.1/d"


def test_bad_database_is_a_store_error(tmp_path):
    (tmp_path / "not.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="无法打开数据库"):
        Corpus(tmp_path / "not.db")


def test_migrations_match_the_tables(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ogi.corpus.schema import metadata

    with Corpus(db_url) as c, c.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


# --- the kept source: compressed when that pays ---------------------------------------------------------------


@given(st.binary(max_size=70_000), st.sampled_from([b"", b"%PDF-1.7\n", b"PK\x03\x04", b"\xff\xd8\xff"]))
@settings(max_examples=60, deadline=None)
def test_a_kept_source_reads_back_byte_for_byte(body: bytes, head: bytes):
    data = head + body
    assert zlib.decompress(compress_source(data)) == data


def test_an_already_compressed_file_is_stored_and_text_is_deflated():
    import random

    noise = random.Random(7).randbytes(200_000)  # what a PDF's Flate streams look like to deflate
    pdf = b"%PDF-1.7\n" + noise
    stored = compress_source(pdf)
    # The zlib header says which level wrote it: 78 01 is level 0 (stored as it is), 78 9C the default 6.
    assert stored[:2] == b"\x78\x01" and len(stored) >= len(pdf)
    assert zlib.decompress(stored) == pdf
    # The same container with plain insides (an uncompressed PDF) is worth deflating, and is.
    plain = b"%PDF-1.4\n" + "第一条 本年度新收政府信息公开申请 128 件。\n".encode() * 5000
    assert compress_source(plain)[:2] == b"\x78\x9c" and len(compress_source(plain)) < len(plain) // 10
    text = "二、主动公开政府信息情况\n".encode() * 3000
    assert len(compress_source(text)) < len(text) // 10


def test_a_stored_pdf_source_comes_back_whole(tmp_path):
    import random

    pdf = b"%PDF-1.7\n" + random.Random(3).randbytes(100_000)
    with Corpus(tmp_path / "c.db") as corpus:
        added = corpus.add(generated(n_organs=1, years=(2022,), seed=5)[0], pdf)
        assert corpus.source(added.id) == pdf
