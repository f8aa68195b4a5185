"""Record → HTML: the Word-pasted government web page, or the clean official version (issue #3).

Word-pasted pages (most reports, spec §7): site furniture around the body, ``MsoNormal`` paragraphs,
tables with ``rowspan``/``colspan`` as in the official form ("三、本年度办理结果" spans 20/22 rows),
``<p>`` in every cell, ``&nbsp;`` blanks, wrapped header words, optionally data rows whose colspans
do not line up with their headers, and gbk/gb2312 pages with a meta charset. The clean version is
the one an organ would publish with ogi (and the source of the PDF).
"""

from __future__ import annotations

import random
from dataclasses import replace
from html import escape

from .. import grid as g
from ..model import Record
from .text import format_date, paragraphs, sections, stable_seed, value_text

_CELL_STYLE = "border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"
_SPAN_STYLE = "font-size:10.0pt;font-family:宋体"
_BLANKS = ("&nbsp;", "&nbsp;", "", "—", "/")
# Label columns wide enough for the row labels, value columns wide enough for "商业企业" on one line.
_COLUMN_WIDTHS = {2: (34, 22, 22, 22), 3: (9, 9, 31) + (7.2,) * 6 + (7.8,), 4: (100 / 15,) * 15}
_NAV = ("首页", "政务公开", "政务服务", "互动交流", "走进本地")
CLEAN_CSS = """
@page { size: A4; margin: 18mm 15mm; }
body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-size: 10.5pt; }
h1 { font-size: 16pt; text-align: center; }
h2 { font-size: 12pt; margin: 10pt 0 4pt; }
p { text-indent: 2em; margin: 3pt 0; line-height: 1.5; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; page-break-inside: auto; }
tr { page-break-inside: avoid; }
td, th { border: 0.75pt solid #000; padding: 2pt 3pt; text-align: center; font-size: 9pt; font-weight: normal; }
td.label { text-align: left; }
.meta { font-size: 9pt; color: #333; text-indent: 0; }
.sign { text-align: right; text-indent: 0; }
"""


def render_html(
    record: Record,
    *,
    word_pasted: bool = True,
    misaligned: bool = False,
    encoding: str = "utf-8",
    seed: int | None = None,
) -> bytes:
    """The report as an HTML page in ``encoding`` (utf-8, gbk, gb2312, gb18030), charset declared."""
    rng = random.Random(stable_seed(record, f"html{word_pasted}{misaligned}") if seed is None else seed)
    charset = encoding.lower()
    page = _word_page(record, rng, misaligned, charset) if word_pasted else clean_html(record, charset, rng)
    return page.encode(_codec(charset), errors="xmlcharrefreplace")


def _codec(charset: str) -> str:
    # A GB page is written in GB18030 when GB2312 lacks a character, as servers do; readers decode GB18030.
    return "gb18030" if charset in ("gbk", "gb2312", "gb18030") else charset


def _e(text: str) -> str:
    return escape(text, quote=False)


def _date(record: Record, rng: random.Random) -> str:
    return format_date(record.meta.published, rng, rng.choice(("cn", "iso"))) if record.meta.published else ""


def clean_html(record: Record, charset: str = "utf-8", rng: random.Random | None = None) -> str:
    rng = rng or random.Random(stable_seed(record, "clean"))
    meta = record.meta
    title = meta.title or f"{meta.organ}{meta.year}年政府信息公开工作年度报告"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="zh-CN"><head><meta charset="{charset}"><title>{_e(title)}</title>',
        f'<meta name="PubDate" content="{meta.published.isoformat() if meta.published else ""}">',
        f"<style>{CLEAN_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    if meta.published:
        out.append(
            f'<p class="meta">索引号：{_e(meta.index_no or "")}　发布机构：{_e(meta.organ or "")}'
            f"　发文日期：{meta.published.isoformat()}</p>"
        )
    grids = g.of_record(record, skip_absent=True)
    for section in sections(record):
        if section.heading:
            out.append(f"<h2>{_e(section.heading.translate(g.FULLWIDTH))}</h2>")
        out += [f"<p>{_e(p.translate(g.FULLWIDTH))}</p>" for p in paragraphs(section)]
        if section.number in grids:
            out.append(_clean_table(record, grids[section.number], rng))
    if meta.published:
        out += [f'<p class="sign">{_e(meta.organ or "")}</p>', f'<p class="sign">{_date(record, rng)}</p>']
    out.append("</body></html>")
    return "\n".join(out)


def _clean_table(record: Record, grid: g.Grid, rng: random.Random) -> str:
    rows = []
    for row in grid.rows:
        cells = []
        for c in row:
            attrs = _spans(c)
            if c.key is not None:
                text = _e(value_text(record.cells.get(c.key), rng, ("",)))
                cells.append(f"<td{attrs}>{text}</td>")
            elif c.header:
                cells.append(f"<th{attrs}>{_e(c.text.translate(g.FULLWIDTH)).replace(chr(10), '<br>')}</th>")
            else:
                cells.append(f'<td class="label"{attrs}>{_e(c.text.translate(g.FULLWIDTH))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cols = "".join(f'<col style="width:{w}%">' for w in _COLUMN_WIDTHS[grid.number])
    return f'<table class="t{grid.number}"><colgroup>{cols}</colgroup>\n' + "\n".join(rows) + "\n</table>"


def _spans(c: g.GridCell) -> str:
    return (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (f' colspan="{c.colspan}"' if c.colspan > 1 else "")


def _word_page(record: Record, rng: random.Random, misaligned: bool, charset: str) -> str:
    meta = record.meta
    title = meta.title or f"{meta.organ}{meta.year}年政府信息公开工作年度报告"
    site = f"{(meta.organ or '')[:3]}人民政府门户网站"
    pub = f"{meta.published.isoformat()} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}" if meta.published else ""
    head = [
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml"><head>',
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />',
        f"<title>{_e(title)}_{_e(site)}</title>",
        f'<meta name="SiteName" content="{_e(site)}" />',
        f'<meta name="ArticleTitle" content="{_e(title)}" />',
        f'<meta name="PubDate" content="{pub}" />' if pub else "",
        f'<meta name="ContentSource" content="{_e(meta.organ or "")}" />',
        '<script type="text/javascript">var _hmt = _hmt || []; function share(){return false;}</script>',
        '<style type="text/css">.nav li{float:left} .xxgk td{border:1px solid #ddd}</style>',
        "</head><body>",
        '<div class="header"><ul class="nav">' + "".join(f'<li><a href="#">{n}</a></li>' for n in _NAV) + "</ul></div>",
        '<div class="location">当前位置：<a href="#">首页</a> &gt; <a href="#">政务公开</a> &gt; 政府信息公开年报</div>',  # noqa: E501 - one message / one line of markup
    ]
    if meta.published:
        head.append(_xxgk_box(record))
    body = [f'<div class="article"><h1 class="title">{_e(title)}</h1>', '<div class="TRS_Editor" id="zoom">']
    grids = g.of_record(record, skip_absent=True)
    for section in sections(record):
        if section.heading:
            heading = _e(section.heading.translate(g.FULLWIDTH))
            body.append(
                f'<p class=MsoNormal style="text-indent:32.0pt"><b><span style="font-family:黑体">{heading}</span></b></p>'  # noqa: E501 - one message / one line of markup
            )
        body += [_para(p.translate(g.FULLWIDTH)) for p in paragraphs(section)]
        if section.number in grids:
            body.append(_word_table(record, grids[section.number], rng, misaligned))
    if meta.published:
        body += [
            f'<p class=MsoNormal align=right style="text-align:right"><span>{_e(meta.organ or "")}</span></p>',
            f'<p class=MsoNormal align=right style="text-align:right"><span>{_date(record, rng)}</span></p>',
        ]
    body.append("</div></div>")
    tail = [
        '<div class="share">分享到：<a href="#" onclick="share()">微信</a> <a href="#">微博</a></div>',
        '<div class="tools"><a href="javascript:window.print()">【打印本页】</a> '
        '<a href="javascript:window.close()">【关闭窗口】</a></div>',
        f'<div class="footer"><p>主办：{_e(site)}　网站标识码：{rng.randint(1000000000, 9999999999)}</p>'
        f"<p>ICP备{rng.randint(10000000, 99999999)}号</p></div>",
        "</body></html>",
    ]
    return "\n".join(x for x in head + body + tail if x)


def _xxgk_box(record: Record) -> str:
    meta = record.meta
    rows = [
        ("索引号", meta.index_no or "", "分类", "政府信息公开年报"),
        ("发布机构", meta.organ or "", "发文日期", meta.published.isoformat()),
        ("文号", "", "时效", "有效"),
    ]
    trs = "".join("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in r) + "</tr>" for r in rows)
    return f'<table class="xxgk" width="100%">{trs}</table>'


def _para(text: str) -> str:
    return (
        f'<p class=MsoNormal style="text-indent:32.0pt;line-height:28.0pt">'
        f'<span style="font-size:16.0pt;font-family:仿宋_GB2312">{_e(text)}</span></p>'
    )


def _word_cell(inner: str, c: g.GridCell, width: int) -> str:
    return (
        f'<td width={width}{_spans(c)} valign=center style="{_CELL_STYLE}">'
        f'<p class=MsoNormal align=center style="text-align:center"><span style="{_SPAN_STYLE}">{inner}</span></p></td>'
    )


def _word_table(record: Record, grid: g.Grid, rng: random.Random, misaligned: bool) -> str:
    rows = []
    for row in grid.rows:
        if misaligned and any(c.key is not None for c in row) and rng.random() < 0.5:
            row = _misalign(list(row), rng)
        cells = []
        for c in row:
            if c.key is not None:
                text = _e(value_text(record.cells.get(c.key), rng, ("\x00",)))
                inner = rng.choice(_BLANKS) if text == "\x00" else text
            else:
                parts = c.text.translate(g.FULLWIDTH).split("\n")
                # Word keeps a wrapped header as two paragraphs in the cell, or the words run together.
                split = rng.random() < 0.5
                inner = (
                    "</span></p><p class=MsoNormal align=center><span>".join(map(_e, parts))
                    if split
                    else _e("".join(parts))
                )
            cells.append(_word_cell(inner, c, 40 * c.colspan))
        rows.append(f'<tr style="height:{rng.choice((18, 20, 24))}.0pt">' + "".join(cells) + "</tr>")
    return (
        "<div align=center><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=600 "
        'style="border-collapse:collapse;border:none">\n' + "\n".join(rows) + "\n</table></div>"
    )


def _misalign(row: list[g.GridCell], rng: random.Random) -> list[g.GridCell]:
    """The row with spans changed so its cells no longer sit under their headers; the order stays (spec §7)."""
    labels = [i for i, c in enumerate(row) if c.key is None]
    values = [i for i, c in enumerate(row) if c.key is not None]
    choice = rng.random()
    if labels and row[labels[-1]].colspan > 1 and choice < 0.35:
        at, change = labels[-1], -1  # label narrower than its header: values slide left
    elif labels and choice < 0.7:
        at, change = labels[-1], 1  # label wider: values slide right
    else:
        at, change = rng.choice(values), 1  # one value stretched over two header columns
    row[at] = replace(row[at], colspan=row[at].colspan + change)
    return row
