"""Encoding detection, NFKC, pinyin removal, traditional → simplified, boilerplate (issue #2 item 3)."""

from __future__ import annotations

import pytest

from ogi.model import Line, UndecodableText
from ogi.normalise import clean, normalise, to_simplified
from ogi.read import read_bytes, sniff
from ogi.read.text import decode

REPORT_LINE = "三、收到和处理政府信息公开申请情况"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "gbk", "gb2312", "utf-16", "utf-8-sig", "big5"])
def test_decodes_common_encodings(encoding):
    text = "三、收到和處理政府信息公開申請情況\n規章 | 0" if encoding == "big5" else REPORT_LINE + "\n规章 | 0"
    assert decode(text.encode(encoding), "x.txt").startswith(text.split("\n")[0])


def test_gbk_characters_outside_gb2312_survive():
    text = "缙云县人力资源和社会保障局 镕"  # 镕 is in GBK, not in GB2312
    assert decode(text.encode("gbk"), "x.txt") == text


def test_pinyin_injected_by_mirror_sites_is_removed():
    text, removed = clean("根據(jù)《條例》規(guī)定,結(jié)合統(tǒng)計數(shù)據(jù)")
    assert text == "根據《條例》規定,結合統計數據" and removed == 6


def test_brackets_in_ordinary_text_are_kept():
    assert clean("第二十条第(五)项 (a) 规章(试行)")[0] == "第二十条第(五)项 (a) 规章(试行)"


def test_full_width_and_quotes():
    text, _ = clean("（一）予以公开　１２「三安全一稳定」【注】")
    assert text == "(一)予以公开 12“三安全一稳定”[注]"


def test_traditional_to_simplified():
    assert to_simplified("行政複議、行政訴訟情況 規範性文件 減5") == "行政复议、行政诉讼情况 规范性文件 减5"
    assert to_simplified("规范性文件") == "规范性文件"


def test_boilerplate_lines_dropped_and_line_numbers_kept():
    doc = read_bytes(
        "我要收藏\n文章分享\n一、总体情况\n正文\n文件下载:\n您访问的链接即将离开'某网站'是否继续?".encode(), "b.txt"
    )
    out = normalise(doc)
    assert [(b.text, b.number) for b in out.blocks if isinstance(b, Line)] == [("一、总体情况", 3), ("正文", 4)]


def test_sniff_kinds():
    assert sniff(b"%PDF-1.7 ...") == "pdf"
    assert sniff(b"<!DOCTYPE html><html>") == "html"
    assert sniff(REPORT_LINE.encode()) == "text"
    assert sniff(bytes(range(256)) * 4) == "binary"


def test_undecodable_bytes_get_a_clear_error():
    junk = bytes([0x81, 0x30, 0xFF, 0xFE, 0x80]) * 50 + b"\n" * 3
    try:
        decode(junk, "junk.txt")
    except UndecodableText as exc:
        assert "junk.txt" in str(exc)
