"""Issue 14: organs and regions resolved against the national divisions; one report per organ-year across
file formats. Expected codes and provinces are the 民政部 行政区划 list's, looked up by hand."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from ogi.corpus.organs import derive, organ_key
from ogi.divisions import locate, township_of
from ogi.pipeline import parse
from ogi.render import RENDERERS, RenderOptions, make_record

from .conftest import seed_path


@pytest.mark.parametrize(
    ("name", "province", "city", "county", "code"),
    [
        ("会宁县工业和信息化局", "甘肃省", "白银市", "会宁县", "620422"),
        ("縉雲縣人力資源和社會保障局", "浙江省", "丽水市", "缙云县", "331122"),
        ("高港區行政審批局", "江苏省", "泰州市", "高港区", "321203"),
        ("江苏省宿迁市沭阳县住房和城乡建设局", "江苏省", "宿迁市", "沭阳县", "321322"),
        ("北京市朝阳区教育委员会", "北京市", None, "朝阳区", "110105"),
        ("上海市人民政府办公厅", "上海市", None, None, "310000"),
        ("钦州市北部湾华侨投资区", "广西壮族自治区", "钦州市", None, "450700"),
        ("宁乡市人民政府", "湖南省", "长沙市", "宁乡市", "430182"),
    ],
)
def test_divisions_resolve_with_codes(name, province, city, county, code):
    place = locate(name, 2021)
    assert (place.status, place.province, place.city, place.county, place.code) == (
        "resolved",
        province,
        city,
        county,
        code,
    )


def test_a_county_renamed_later_still_resolves_in_its_year():
    # 宁乡县 became 宁乡市 in 2017: a 2015 report names the county as it then was.
    place = locate("宁乡县人民政府", 2015)
    assert (place.province, place.county) == ("湖南省", "宁乡县")


def test_ocr_noise_is_flagged_not_created():
    # "沐阳县" is a misreading of 沭阳县: no such county, so no region is invented.
    place = locate("#沐阳县人民政府", 2020)
    assert place.status == "unknown" and place.province is None and place.county is None
    assert "沐阳县" in (place.problem or "")
    info = derive("#沐阳县人民政府")
    assert (info.province, info.county, info.name) == (None, None, "沐阳县人民政府")
    assert "不在行政区划表" in (info.region_note or "")


def test_a_shared_county_name_keeps_only_what_is_certain():
    place = locate("朝阳区教育委员会")  # 北京市朝阳区 and 长春市朝阳区
    assert place.status == "ambiguous" and place.province is None and place.county is None


def test_township_named_after_its_county_but_never_from_department_words():
    assert locate("泾县石湖镇人民政府", 2020).township == "石湖镇"
    assert locate("余杭区仁和街道办事处", 2020).township == "仁和街道"
    assert locate("长丰县住房和城乡建设局", 2020).township is None
    assert township_of("住房和城乡建设局") is None
    assert township_of("乡镇企业局") is None


def test_one_spelling_per_organ():
    assert organ_key("钦州市北部湾华侨投资区管理委员会") == organ_key("欽州市北部灣華僑投資區管委會")
    assert organ_key("会宁县政府办") == organ_key("会宁县人民政府办公室")
    assert organ_key("会宁县政府") == organ_key("会宁县人民政府")
    assert organ_key("# 会宁县人民政府") == organ_key("会宁县人民政府")


def _report_text(first_lines: str) -> str:
    record = make_record(random.Random(3), "2019", 2019, "上海市人民政府办公厅")
    text = RENDERERS["text"].write(record, RenderOptions(seed=1)).decode()
    return first_lines + text.split("\n", 1)[1]


@pytest.mark.parametrize(
    "head",
    [
        "2019年上海市人民政府办公厅政府信息公开工作年度报告\n",
        "上海市人民政府办公厅\n2019年政府信息公开工作年度报告\n",
        "标题: 上海市人民政府办公厅2019年政府信息公开工作年度报告\n",
        "# 上海市人民政府办公厅2019年政府信息公开工作年度报告\n",
        "**上海市人民政府办公厅2019年度政府信息公开工作年度报告**\n",
    ],
)
def test_organ_read_from_every_title_form(tmp_path, head):
    path = tmp_path / "r.txt"
    path.write_text(_report_text(head), encoding="utf-8")
    meta = parse(path).meta
    assert (meta.organ, meta.year) == ("上海市人民政府办公厅", 2019)
    assert derive(meta.organ, meta.year).province == "上海市"


@pytest.mark.parametrize(
    ("prefix", "organ", "province"),
    [
        ("002", "缙云县人力资源和社会保障局", "浙江省"),
        ("003", "会宁县工业和信息化局", "甘肃省"),
        ("004", "高港区行政审批局", "江苏省"),
    ],
)
def test_seed_organs_get_their_province(prefix, organ, province):
    meta = parse(seed_path(prefix)).meta
    assert meta.organ == organ
    assert derive(meta.organ, meta.year).province == province


def test_stored_organs_carry_region_and_code(corpus):
    from .builders import record

    corpus.add(record("会宁县工业和信息化局", 2021))
    corpus.add(record("#沐阳县人民政府", 2021))
    rows = {o["name"]: o for o in corpus.organs()}
    good = rows["会宁县工业和信息化局"]
    assert (good["province"], good["city"], good["county"], good["division_code"]) == (
        "甘肃省",
        "白银市",
        "会宁县",
        "620422",
    )
    noisy = rows["沐阳县人民政府"]
    assert noisy["county"] is None and "沐阳县" in noisy["region_note"]
    assert corpus.count(province="甘肃省") == 1


def test_one_report_in_four_formats_counts_once(corpus, tmp_path):
    from ogi.corpus.ingest import ingest

    record = make_record(random.Random(5), "2021", 2022, "缙云县人力资源和社会保障局")
    paths = []
    for fmt, suffix in (("text", "txt"), ("html", "html"), ("docx", "docx"), ("pdf", "pdf")):
        path = tmp_path / "in" / f"report.{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(RENDERERS[fmt].write(record, RenderOptions(seed=2)))
        paths.append(path)
    ingest(corpus, [str(tmp_path / "in")], workers=1, progress=False)
    assert corpus.count() == 1
    (total,) = corpus.totals("t3.total.total", by=("year",))
    assert total["reports"] == 1 and total["t3.total.total"] == record.cells["t3.total.total"].value
    with corpus.engine.connect() as conn:
        kinds = conn.execute(sa.text("select kind from report_sources")).scalars().all()
    assert len(kinds) == 3  # the first file is the report's own source; the three others are listed
    # Other numbers for the same organ and year are another version, which supersedes: still one current
    # report, two versions kept; another year is another report.
    other = make_record(random.Random(6), "2021", 2022, "缙云县人力资源和社会保障局")
    next_year = make_record(random.Random(7), "2021", 2023, "缙云县人力资源和社会保障局")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "other.txt").write_bytes(RENDERERS["text"].write(other, RenderOptions(seed=2)))
    (tmp_path / "more" / "next.txt").write_bytes(RENDERERS["text"].write(next_year, RenderOptions(seed=2)))
    ingest(corpus, [str(tmp_path / "more")], workers=1, progress=False)
    assert corpus.count() == 2 and corpus.count(versions=True) == 3


def test_a_city_management_committee_is_not_a_zone():
    assert derive("北京市朝阳区城市管理委员会").name == "北京市朝阳区城市管理委员会"
    assert derive("钦州市北部湾华侨投资区管理委员会").name == "钦州市北部湾华侨投资区管委会"


def test_a_county_the_table_lacks_after_a_real_province_is_flagged():
    info = derive("浙江省示例3市第7县人民政府")
    assert (info.province, info.city, info.county, info.kind) == ("浙江省", None, None, "人民政府")
    assert "示例3市" in info.region_note
    assert derive("钦州市北部湾华侨投资区管委会").region_note is None  # a zone, not a place to look up


@pytest.mark.parametrize(
    "url, place",
    [
        ("https://www.huining.gov.cn/zwgk/ndbg/1.htm", "会宁县"),  # one division reads "huining"
        ("http://www.jiangsu.gov.cn/art/2024/1/1.html", "江苏省"),
        ("www.jinyun.gov.cn", "缙云县"),
        ("https://www.chaoyang.gov.cn/", None),  # 朝阳区 (北京) and 朝阳市 (辽宁): no guess
        ("https://www.stats.gov.cn/", None),  # not a place
        ("https://www.huining.com/", None),  # not a government site
    ],
)
def test_a_government_sites_host_names_its_division(url, place):
    from ogi.divisions import from_domain

    assert from_domain(url) == place


def test_the_crawlers_link_places_an_organ_whose_name_leaves_out_its_region():
    """A crawled page of 会宁县's site whose title says only "教育局": the organ is 会宁县教育局, in 甘肃省."""
    record = make_record(random.Random(8), "2021", 2022, "教育局")
    body = RENDERERS["text"].write(record, RenderOptions(seed=1)).decode("utf-8")
    page = (
        "标题: 教育局2022年政府信息公开工作年度报告\n发布时间: 2023-01-20\n"
        "原文链接: https://www.huining.gov.cn/zwgk/ndbg/3.htm\n" + "=" * 20 + " 正文 " + "=" * 20 + "\n" + body
    )
    parsed = parse(page.encode("utf-8"), "crawled.txt")
    assert parsed.meta.organ == "会宁县教育局"
    info = derive(parsed.meta.organ, 2022)
    assert (info.province, info.county) == ("甘肃省", "会宁县")
    # Without the link, the name alone places nothing (never a guess).
    alone = parse(page.replace("https://www.huining.gov.cn/zwgk/ndbg/3.htm", "").encode("utf-8"), "crawled.txt")
    assert alone.meta.organ == "教育局"
