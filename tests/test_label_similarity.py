"""Row labels read with typos, dropped characters and OCR slips (damaged-reports §4, issue #10): matched to the
form's row by similarity, only with a clear margin over the runner-up; never to a row when two are close or
when the label is a group label that merely looks like a row."""

from __future__ import annotations

import pytest

from ogi.extract import match_row


@pytest.mark.parametrize(
    ("label", "candidates", "row"),
    [
        ("2.其他法律行政止公开", "t3", "denied.law_forbidden"),  # dropped characters (a real PDF's typo)
        ("(一)子以公开", "t3", "granted"),  # OCR: 予 read as 子
        ("(二)部分公幵", "t3", "partial"),
        ("1.属于国家秘蜜", "t3", "denied.state_secret"),
        ("4.保护第三方合法杈益", "t3", "denied.third_party"),
        ("四、结转下年度继续力理", "t3", "carried_out"),
        ("二、上年结转政府信息公开申请数星", "t3", "carried_in"),
        ("本机关不掌握相关信息", "t3", "unable.not_held"),
        ("行政规范件文件", "t2.2021", "normative"),
        ("行政许呵", "t2.2021", "licensing"),
        ("政府集中釆购", "t2.2019", "procurement"),
    ],
)
def test_a_slip_still_names_its_row(label, candidates, row):
    found = match_row(label, candidates)
    assert found is not None and found.key == row


@pytest.mark.parametrize(
    ("label", "candidates"),
    [
        ("(三)不予公开", "t3"),  # a group label one character from 予以公开: no row
        ("无法提供", "t3"),
        ("本年度办理结果", "t3"),
        ("公开", "t3"),  # too short to tell a slip from another word
        ("行政法规", "t2.2021"),
        ("本机关高度重视政府信息公开工作，认真落实条例要求", "t3"),
    ],
)
def test_no_row_when_nothing_is_clearly_closest(label, candidates):
    assert match_row(label, candidates) is None


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_a_report_with_a_slip_in_every_row_label_reads_back_without_a_wrong_number(template):
    """One character of each table-3 label replaced (as OCR does): every cell comes back, none wrong."""
    import random
    import re

    from ogi import forms
    from ogi.pipeline import parse
    from ogi.render import make_record, render_text

    record = make_record(random.Random(9), template, 2020 if template == "2019" else 2022, "示例县交通运输局")
    text = render_text(record, "pipe")
    for row in forms.T3_ROWS[template]:
        label = row.label.replace("(", "（").replace(")", "）").replace(",", "，")
        core = re.sub(r"^[（(][一二三四五六七][）)]|^[一二三四五六七]、|^\d\.", "", label)
        if len(core) < 6 or label not in text:
            continue
        slipped = label.replace(core, core[:3] + "口" + core[4:])
        text = text.replace(label + " |", slipped + " |")
    parsed = parse(text.encode(), "t.txt")
    t3 = [k for k in forms.keys(template) if k.startswith("t3.")]
    assert [parsed.value(k) for k in t3] == [record.value(k) for k in t3]
    assert not any(f.severity.value == "error" for f in parsed.findings)
