"""HTML reader (issue #3 item 1): Word-pasted tables, spans, blanks, encodings, furniture, metadata.

Fixtures are hand-built pages with the oddities of spec §7; expected cells are written from the fixture.
Round trips use the renderer's generated reports, whose cells the test knows.
"""

from __future__ import annotations

import random

import pytest

from ogi.model import Line, Table
from ogi.read import read, sniff

WORD_PASTED = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某某县工业和信息化局2021年政府信息公开工作年度报告_政府信息公开年报_某某县人民政府</title>
<meta name="PubDate" content="2022-01-20 09:30"><meta name="ContentSource" content="某某县工业和信息化局">
<meta name="SiteName" content="某某县人民政府"><script>var nav = "首页";</script><style>p{margin:0}</style></head>
<body><div class="nav"><a href="/">首页</a><a href="/x">政府信息公开</a><a href="/y">政务服务</a></div>
<div class="main"><table class="xxgk"><tr><td>索引号：</td><td>GS1298/2022-18148</td><td>发布机构：</td><td>某某县工业和信息化局</td></tr>
<tr><td>发文日期：</td><td>2022-01-14</td></tr></table>
<div class="TRS_Editor"><p>一、总体情况</p><p>2021年，我局认真 贯彻落实<span>条例</span>。</p><p>三、收到和处理政府信息公开申请情况</p>
<table border="1"><tr><td colspan="3" rowspan="2"><p>（本列数据的勾稽关系为：第一项加第二项之和，</p><p>等于第三项加第四项之和）</p></td>
<td rowspan="2"><p>自然人</p></td><td colspan="5"><p>法人或其他组织</p></td><td rowspan="2"><p>总计</p></td></tr>
<tr><td><p>商业</p><p>企业</p></td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="2">一、本年新收政府信息公开申请数量</td><td>3</td><td>&nbsp;</td><td>0</td><td>0</td><td>0</td><td>0</td><td>3</td></tr>
<tr><td rowspan="2"><p>三、本年度</p><p>办理结果</p></td><td colspan="2">（一）予以公开</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td colspan="2">（二）部分公开</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>251000元</td></tr>
</table><p>五、存在的主要问题及改进情况</p></div></div>
<div class="footer">版权所有：某某县人民政府 地址：某某路1号 电话：0000-0000000</div>
<div class="bdshare"><a>分享到微信</a></div></body></html>"""


def tables(document) -> list[list[list[tuple[str, int]]]]:
    return [[[(t.text, t.where.col) for t in row] for row in b.rows] for b in document.blocks if isinstance(b, Table)]


def lines(document) -> list[str]:
    return [b.text for b in document.blocks if isinstance(b, Line)]


@pytest.fixture(scope="module")
def word_pasted():
    return read(WORD_PASTED.encode("gbk"), "word.html")


def test_sniffs_html_from_content():
    assert sniff(WORD_PASTED.encode("gbk")) == "html"
    assert sniff(b"\xef\xbb\xbf<!DOCTYPE html><html></html>") == "html"


def test_spans_give_one_token_per_origin_cell_at_its_logical_column(word_pasted):
    report = tables(word_pasted)[-1]
    assert report[0] == [
        ("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 0),
        ("自然人", 3),
        ("法人或其他组织", 4),
        ("总计", 9),
    ]
    assert report[1] == [("商业企业", 4), ("科研机构", 5), ("社会公益组织", 6), ("法律服务机构", 7), ("其他", 8)]
    # The data row's label spans 2 columns, not the header's 3: values follow it in logical order.
    assert report[2] == [
        ("一、本年新收政府信息公开申请数量", 0),
        ("3", 2),
        ("", 3),
        ("0", 4),
        ("0", 5),
        ("0", 6),
        ("0", 7),
        ("3", 8),
    ]
    assert report[3][0] == ("三、本年度办理结果", 0)  # paragraphs of a cell joined by ""
    assert report[4] == [
        ("（二）部分公开", 1),
        ("2", 3),
        ("0", 4),
        ("0", 5),
        ("0", 6),
        ("0", 7),
        ("0", 8),
        ("251000元", 9),
    ]


def test_body_found_and_furniture_dropped(word_pasted):
    text = "\n".join(lines(word_pasted))
    assert lines(word_pasted)[:2] == ["一、总体情况", "2021年，我局认真贯彻落实条例。"]
    for furniture in ("首页", "政务服务", "版权所有", "分享到", "var nav"):
        assert furniture not in text


def test_metadata_hints(word_pasted):
    assert word_pasted.hints == {
        "title": "某某县工业和信息化局2021年政府信息公开工作年度报告",
        "published": "2022-01-20",
        "organ": "某某县工业和信息化局",
        "site": "某某县人民政府",
        "index_no": "GS1298/2022-18148",
    }


def test_page_metadata_block_when_no_meta_tags():
    page = (
        "<html><body><table><tr><td>索 引 号:</td><td>ABC-01/2020-00001</td><td>发布机构:</td><td>高港区行政审批局</td></tr>"
        "<tr><td>發文日期:</td><td>2020年1月19日</td></tr></table><p>一、总体情况</p><p>正文</p></body></html>"
    )
    hints = read(page.encode(), "meta.html").hints
    assert hints["index_no"] == "ABC-01/2020-00001"
    assert hints["organ"] == "高港区行政审批局"
    assert hints["published"] == "2020-01-19"


@pytest.mark.parametrize("declared", ["gb2312", "gbk", None])
def test_gb_pages_decode_as_gb18030(declared):
    meta = f'<meta charset="{declared}">' if declared else ""
    # 镕 and 㐀 are outside GB2312: a GB2312 decoder would lose them, GB18030 keeps them.
    page = f"<html><head>{meta}</head><body><p>朱镕基㐀 政府信息公开</p></body></html>"
    assert lines(read(page.encode("gb18030"), "gb.html")) == ["朱镕基㐀政府信息公开"]


def test_declared_charset_wrong_but_bytes_are_utf8():
    page = '<html><head><meta charset="gb2312"></head><body><p>政府信息公开</p></body></html>'
    assert lines(read(page.encode("utf-8"), "lie.html")) == ["政府信息公开"]


def test_layout_table_is_flow_and_inner_table_is_a_grid():
    page = (
        "<html><body><table><tr><td><p>一、总体情况</p><p>正文</p><table><tr><td>规章</td><td>0</td><td></td></tr></table></td></tr>"
        "</table></body></html>"
    )
    document = read(page.encode(), "layout.html")
    assert lines(document) == ["一、总体情况", "正文"]
    assert tables(document) == [[[("规章", 0), ("0", 1), ("", 2)]]]


def test_hidden_elements_and_comments_are_not_text():
    page = '<html><body><p>一、总体情况</p><div style="display: none">隐藏的导航</div><!-- 注释 --><p>正文</p></body></html>'
    assert lines(read(page.encode(), "hidden.html")) == ["一、总体情况", "正文"]


def test_mht_single_file_web_page():
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    message = MIMEMultipart("related")
    message.attach(
        MIMEText(
            "<html><body><p>一、总体情况</p><table><tr><td>规章</td><td>5</td></tr></table></body></html>",
            "html",
            "gb2312",
        )
    )
    data = message.as_bytes()
    assert sniff(data) == "mht"
    document = read(data, "page.mht")
    assert lines(document) == ["一、总体情况"]
    assert tables(document) == [[[("规章", 0), ("5", 1)]]]


CASES = [("2019", 2020, 11), ("2021", 2022, 5)]


def _known(template, year, seed, blanks):
    from ogi.render.sample import make_record

    return make_record(random.Random(seed), template, year, "会宁县工业和信息化局", blanks=blanks)


def _same_cells(expected, parsed) -> list:
    return [
        (k, c.value, parsed.cells[k].value)
        for k, c in expected.cells.items()
        if parsed.cells.get(k) is None or parsed.cells[k].value != c.value or parsed.cells[k].state != c.state
    ]


@pytest.mark.parametrize("template,year,seed", CASES)
@pytest.mark.parametrize("style", ["word_misaligned_gbk", "word_utf8", "clean"])
def test_round_trip(template, year, seed, style):
    pytest.importorskip("ogi.render.html")
    from ogi.pipeline import parse
    from ogi.render.html import render_html

    record = _known(template, year, seed, blanks=0.3)
    if style == "word_misaligned_gbk":
        data = render_html(record, misaligned=True, encoding="gbk")
    elif style == "word_utf8":
        data = render_html(record)
    else:
        data = render_html(record, word_pasted=False)
    parsed = parse(data, f"{style}.html")
    assert _same_cells(record, parsed) == []
    assert parsed.meta.published == record.meta.published
    assert parsed.meta.kind == "html"
