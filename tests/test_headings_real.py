"""Section headings as real PDF text leaves them (damaged-reports §4, issue #10): CRLF line ends, spaces
between the characters, a heading split over two lines, "（六）" numbering. A report that has its six
sections gets no FORMAT-COMPLETE for them."""

from __future__ import annotations

import random

from ogi.pipeline import parse
from ogi.render import make_record, render_text


def test_real_pdf_headings_are_found():
    record = make_record(random.Random(4), "2021", 2022, "示例县交通运输局")
    text = render_text(record, "pipe").replace("\n", "\r\n")
    text = text.replace("一、总体情况", "一 、 总 体 情 况")
    text = text.replace(
        "五、政府信息公开工作存在的主要问题及改进情况", "五、政府信息公开工作存在的\r\n主要问题及改进情况"
    )
    text = text.replace("六、其他需要报告的事项", "（六）其他需要报告的事项")
    parsed = parse(text.encode(), "t.txt")
    assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
    assert parsed.section(5).heading == "五、政府信息公开工作存在的主要问题及改进情况"
    assert not [f for f in parsed.findings + parsed.problems if f.rule == "FORMAT-COMPLETE"]


def test_sub_headings_numbered_in_brackets_are_not_taken_for_sections():
    # "（一）主动公开" and "（二）依申请公开" stand in section 一 of every generated report.
    record = make_record(random.Random(5), "2021", 2022, "示例县交通运输局")
    parsed = parse(render_text(record, "pipe").replace("二、主动公开政府信息情况", "二、").encode(), "t.txt")
    assert 2 not in [s.number for s in parsed.sections]
    assert [s.number for s in parsed.sections] == [1, 3, 4, 5, 6]
