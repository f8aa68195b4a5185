"""Corrupt, truncated, encrypted and hostile files are refused with a clear error naming the file
(issue #3 item 6): never a traceback, never a hang, never unbounded memory."""

from __future__ import annotations

import io
import zipfile

import pytest

from ogi.model import CorruptFile, EmptyFile, OgiError, ReadError, TooLarge, UnsupportedFormat
from ogi.read import office, read, sniff

docx = pytest.importorskip("docx")


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("一、总体情况")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "规章"
    table.cell(0, 1).text = "5"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _bomb(member: str, size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("member,kind", [("word/document.xml", "docx"), ("xl/worksheets/sheet1.xml", "xlsx")])
def test_zip_bomb_is_refused_before_inflating(member, kind):
    data = _bomb(member, 24 << 20)  # 24 MB of zeros in a ~25 KB file
    assert len(data) < 200_000 and sniff(data) == kind
    with pytest.raises(TooLarge, match="bomb.docx|bomb.xlsx") as error:
        read(data, f"bomb.{kind}")
    assert "压缩炸弹" in str(error.value)


def test_truncated_docx_is_corrupt():
    data = _docx_bytes()
    with pytest.raises(CorruptFile, match="half.docx"):
        read(data[: len(data) // 2], "half.docx")


def test_docx_missing_its_document_part_is_corrupt():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/styles.xml", "<w:styles/>")
    with pytest.raises(CorruptFile, match="empty.docx"):
        read(buffer.getvalue(), "empty.docx")


def test_html_of_50_megabytes_is_refused():
    data = b"<html><body>" + b"<p>\xe6\x94\xbf\xe5\xba\x9c</p>" * (50 * 1024 * 1024 // 13) + b"</body></html>"
    assert len(data) >= 50 * 1024 * 1024
    with pytest.raises(TooLarge, match="huge.html"):
        read(data, "huge.html")


def test_deeply_nested_html_does_not_overflow_the_stack():
    data = b"<html><body>" + b"<div>" * 20000 + "政府信息公开".encode() + b"</div>" * 20000 + b"</body></html>"
    try:
        document = read(data, "deep.html")
    except ReadError:
        return  # refusing is fine too; a RecursionError is not
    assert any("政府信息公开" in getattr(b, "text", "") for b in document.blocks)


def _minimal_pdf(extra_trailer: str = "", objects: list[str] | None = None) -> bytes:
    objects = objects or [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {extra_trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_password_protected_pdf_names_the_problem():
    encrypt = "<< /Filter /Standard /V 1 /R 2 /O <" + "11" * 32 + "> /U <" + "22" * 32 + "> /P -4 >>"
    data = _minimal_pdf(
        extra_trailer="/Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]",
        objects=None,
    )
    data = data.replace(b"trailer", f"4 0 obj\n{encrypt}\nendobj\ntrailer".encode(), 1)
    with pytest.raises(CorruptFile, match="locked.pdf") as error:
        read(data, "locked.pdf")
    assert "密码" in str(error.value)


@pytest.mark.parametrize("damage", ["xref", "truncate", "garbage"])
def test_broken_pdf_is_read_or_refused_cleanly(damage):
    data = _minimal_pdf()
    if damage == "xref":
        data = data.replace(b"0000000009 00000 n", b"0000099999 00000 n").replace(b"startxref\n", b"startxref\n9")
    elif damage == "truncate":
        data = data[:60]
    else:
        data = b"%PDF-1.4\n" + bytes(range(256)) * 40
    try:
        read(data, "broken.pdf")
    except OgiError as error:
        assert isinstance(error, (CorruptFile, EmptyFile)) and "broken.pdf" in str(error)


def test_pdf_without_text_or_images_is_empty():
    with pytest.raises(EmptyFile, match="blank.pdf"):
        read(_minimal_pdf(), "blank.pdf")


def test_encrypted_office_file_is_refused():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600
    assert sniff(data) == "doc"
    with pytest.raises(CorruptFile, match="加密"):
        read(data, "secret.docx")


def test_doc_without_libreoffice_says_what_to_install(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 600
    with pytest.raises(UnsupportedFormat, match="libreoffice-writer-nogui"):
        read(data, "old.doc")


@pytest.mark.skipif(office.soffice() is None, reason="LibreOffice not installed")
def test_doc_round_trip_through_libreoffice(tmp_path):
    """A generated report saved as .doc (Word 97) reads back to exactly its cells."""
    import random
    import subprocess

    pytest.importorskip("ogi.render.docx")
    from ogi.pipeline import parse
    from ogi.render.docx import render_docx
    from ogi.render.sample import make_record

    record = make_record(random.Random(5), "2021", 2022, "会宁县工业和信息化局", blanks=0.3)
    source = tmp_path / "report.docx"
    source.write_bytes(render_docx(record))
    subprocess.run(
        [
            office.soffice(),
            f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
    )
    data = (tmp_path / "report.doc").read_bytes()
    assert sniff(data) == "doc"
    parsed = parse(data, "report.doc")
    assert parsed.meta.kind == "doc"
    assert [
        k for k, c in record.cells.items() if parsed.cells[k].value != c.value or parsed.cells[k].state != c.state
    ] == []


@pytest.mark.parametrize(
    "data,error",
    [
        (b"", EmptyFile),
        (b"   \n\t", EmptyFile),
        (bytes(range(256)) * 8, UnsupportedFormat),
        (b"PK\x03\x04" + b"\0" * 100, UnsupportedFormat),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, CorruptFile),
    ],
)
def test_junk_is_refused_with_a_read_error(data, error):
    with pytest.raises(error, match="junk.bin"):
        read(data, "junk.bin")


def test_image_decompression_bomb_is_refused():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (12000, 12000), 1).save(buffer, format="PNG")  # 144 Mpx, a few KB
    with pytest.raises(TooLarge, match="bomb.png"):
        read(buffer.getvalue(), "bomb.png")


# Issue #15: reader errors mapped, and the budget enforced where the cost is incurred.


def test_damaged_pdf_page_and_self_referencing_page_tree_are_corrupt_files():
    from . import hostile

    with pytest.raises(CorruptFile, match=r"damaged\.pdf: PDF 第 1 页已损坏"):
        read(hostile.make_pdf_damaged_page(), "damaged.pdf")
    with pytest.raises(CorruptFile, match=r"cycle\.pdf: PDF 第 \d 页已损坏"):
        read(hostile.make_pdf_self_tree(), "cycle.pdf")


def test_xlsx_shared_string_past_the_table_is_a_corrupt_file():
    from . import hostile

    with pytest.raises(CorruptFile, match="bad.xlsx: Excel 文件已损坏：单元格引用了不存在的共享字符串"):
        read(hostile.make_xlsx_bad_shared_string(), "bad.xlsx")


def test_xlsx_merges_are_capped_in_total_not_per_range():
    from . import hostile

    assert len(hostile.make_xlsx_merges(1500)) < 20_000
    with pytest.raises(TooLarge, match="merges.xlsx: Excel 合并单元格过多"):
        read(hostile.make_xlsx_merges(1500), "merges.xlsx")
    read(hostile.make_xlsx_merges(2), "two.xlsx")  # two ranges of 20,000 cells: within the budget


def test_pdf_drawing_stream_that_inflates_too_far_is_refused_before_pdfium():
    from . import hostile

    data = hostile.make_pdf_path_flood(2_000_000)  # 28 MB of "m l S" in 55 KB
    with pytest.raises(TooLarge, match="flood.pdf: PDF 内容解压后过大"):
        read(data, "flood.pdf")


def test_ocr_renders_a_huge_pdf_page_within_the_pixel_budget(monkeypatch):
    from ogi import budget
    from ogi.read import ocr

    rendered = []

    class Page:
        def get_size(self):
            return 5000.0, 5000.0

        def render(self, scale, grayscale):
            rendered.append(scale)
            raise StopIteration  # the scale is all this test needs

    with pytest.raises(StopIteration):
        ocr.Scans("huge.pdf").read_page(Page(), 1)
    assert (5000 * rendered[0]) ** 2 <= budget.OCR_PIXELS  # 300 dpi would be 434 Mpx
    scans = ocr.Scans("many.pdf")
    monkeypatch.setattr(budget, "OCR_PAGES", 0)
    with pytest.raises(TooLarge, match="many.pdf: 需要识别的扫描页超过 0 页"):
        scans.read_page(Page(), 1)


def test_unexpected_library_exception_becomes_corrupt_file(monkeypatch):
    import zipfile as zf

    from ogi import read as reading

    def broken(data, name):
        raise zf.BadZipFile("bad magic number")  # a library's own exception class

    monkeypatch.setitem(reading.READERS, "text", broken)
    with pytest.raises(CorruptFile, match=r"odd.txt: 文件已损坏，zipfile 无法解析 .*BadZipFile"):
        read(b"some text", "odd.txt")


def test_a_bug_in_ogi_fails_the_tests_but_is_a_clear_read_error_for_users(monkeypatch):
    from ogi import read as reading
    from ogi.read import xlsx

    def buggy(data, name):
        return xlsx._col(None)  # a TypeError raised in ogi's own code

    monkeypatch.setitem(reading.READERS, "text", buggy)
    with pytest.raises(TypeError):  # OGI_STRICT_READERS is set for the tests (conftest.py)
        read(b"some text", "bug.txt")
    monkeypatch.delenv(reading.STRICT_ENV)
    with pytest.raises(ReadError, match="bug.txt: ogi 读取此文件时出错（程序缺陷") as error:
        read(b"some text", "bug.txt")
    assert type(error.value) is ReadError  # not CorruptFile: ogi's failure is never the file's


def test_mixed_utf8_and_gbk_text_is_read_line_by_line():
    from . import hostile

    lines = [b.text for b in read(hostile.make_mixed_encoding(), "mixed.txt").blocks]
    assert lines[:4] == ["一、总体情况", "本年度我局主动公开政府信息。", "二、主动公开政府信息情况", "规章 0 0 0"]


def test_undecodable_bytes_are_marked_not_refused():
    data = "一、总体情况\n本年度我局主动公开政府信息。\n".encode() + b"\xff\xfe\xfd" + "规章".encode()
    lines = [b.text for b in read(data, "marked.txt").blocks]
    assert lines[:2] == ["一、总体情况", "本年度我局主动公开政府信息。"]
    assert lines[2].endswith("规章") and "\ufffd" in lines[2]


def test_digit_runs_past_the_budget_are_marked_unreadable():
    from ogi import budget

    run = "7" * (budget.DIGIT_RUN + 1)
    document = read(f"一、总体情况\n规章{run}\n行政许可12\n".encode(), "digits.txt")
    assert [b.text for b in document.blocks][1:3] == ["规章\ufffd", "行政许可12"]


def test_billion_laughs_and_external_entities_are_not_expanded():
    from . import hostile

    with pytest.raises(CorruptFile, match="laughs.docx"):
        read(hostile.make_docx_billion_laughs(9), "laughs.docx")
    with pytest.raises(EmptyFile, match="xxe.docx"):  # the external entity is not read: nothing is left
        read(hostile.make_docx_billion_laughs(0), "xxe.docx")


def test_reading_past_the_time_budget_names_the_file(monkeypatch):
    from ogi import budget

    from . import hostile

    monkeypatch.setattr(budget, "SECONDS", -1)  # the clock has run out before the first page
    with pytest.raises(TooLarge, match=r"late.pdf: 读取耗时超过 -1 秒"):
        read(hostile.make_pdf_ruled_grid(1, rows=2, cols=2), "late.pdf")
    monkeypatch.undo()
    assert read(hostile.make_pdf_ruled_grid(1, rows=2, cols=2), "next.pdf").kind == "pdf"  # a new file, a new clock
