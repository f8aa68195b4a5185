"""Generators of hostile and damaged files, one per attack of issue #15 (no binary blobs in the tree).

Each ``make_*`` returns the bytes of one small file that is cheap to write and (before the budget) was
expensive to read. ``KINDS`` lists them by name with a default size, for the fuzz suite and its bench.
"""

from __future__ import annotations

import io
import random
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass


def pdf(pages: list[bytes], size: tuple[float, float] = (595, 842), *, image: bool = False, deflate=False) -> bytes:
    """A minimal valid PDF: one content stream per page, Helvetica for text, optionally a 1×1 image XObject."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    xobject = (
        add(
            b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream"
        )
        if image
        else 0
    )
    kids = []
    for content in pages:
        stream = zlib.compress(content, 9) if deflate else content
        filt = b"/Filter /FlateDecode " if deflate else b""
        contents = add(b"<< " + filt + b"/Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        resources = b"<< /Font << /F1 %d 0 R >>" % font + (b" /XObject << /Im1 %d 0 R >>" % xobject if image else b"")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Resources %s >> /Contents %d 0 R >>"
                % (pages_id, size[0], size[1], resources, contents)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return _assemble(objects, catalog)


def _assemble(objects: list[bytes], root: int) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref))
    return out.getvalue()


def make_pdf_image_page(points: int = 5000) -> bytes:
    """One page of ``points``² pt holding only an image: OCR renders it (12.8 GB at 300 dpi before the cap)."""
    return pdf([b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (points, points)], (points, points), image=True)


def make_pdf_image_pages(pages: int = 400) -> bytes:
    """``pages`` image-only A4 pages: each goes to OCR (289 s for 400 before the document's OCR budget)."""
    return pdf([b"q 595 0 0 842 0 0 cm /Im1 Do Q"] * pages, image=True)


def make_pdf_path_flood(paths: int = 2_000_000) -> bytes:
    """A content stream that inflates to ``paths`` stroked lines (a few KB that pdfium expands to GBs)."""
    return pdf([b"0 0 m 1 1 l S\n" * paths], deflate=True)


def make_pdf_ruled_grid(pages: int = 10, rows: int = 40, cols: int = 8) -> bytes:
    """``pages`` pages each holding a ruled table of rows × cols cells with a digit in each."""
    contents = []
    for p in range(pages):
        ops = [b"0.5 w"]
        x0, y0, w, h = 50, 800, 60, 18
        for r in range(rows + 1):
            ops.append(b"%d %d m %d %d l S" % (x0, y0 - r * h, x0 + cols * w, y0 - r * h))
        for c in range(cols + 1):
            ops.append(b"%d %d m %d %d l S" % (x0 + c * w, y0, x0 + c * w, y0 - rows * h))
        for r in range(rows):
            for c in range(cols):
                ops.append(b"BT /F1 9 Tf %d %d Td (%d) Tj ET" % (x0 + c * w + 5, y0 - r * h - 13, p + r + c))
        contents.append(b"\n".join(ops))
    return pdf(contents)


def make_pdf_damaged_page() -> bytes:
    """A PDF whose one page object is not a dictionary: pdfium opens the file, then cannot load the page."""
    good = pdf([b"BT /F1 12 Tf 72 720 Td (2022) Tj ET"])
    return good.replace(b"<< /Type /Page /Parent", b"[ /Type /Page /Parent", 1).replace(
        b"R >>\nendobj", b"R ]\nendobj", 1
    )


def make_pdf_self_tree() -> bytes:
    """A page tree whose /Kids contains the tree itself (and a page): a cycle pdfium must not follow."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    return _assemble(objects, 1)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, body in members.items():
            archive.writestr(member, body)
    return buffer.getvalue()


_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_DOCX_RELS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx(body: bytes) -> bytes:
    """A DOCX whose body is ``body`` (WordprocessingML with the w: prefix)."""
    document = b'<?xml version="1.0"?><w:document %s><w:body>%s</w:body></w:document>' % (_W, body)
    return _zip({"[Content_Types].xml": _DOCX_TYPES, "_rels/.rels": _DOCX_RELS, "word/document.xml": document})


def _w_cell(text: str) -> bytes:
    return b"<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>" % text.encode()


def make_docx_grid_before(grid_before: int = 300_000_000) -> bytes:
    """A report-like DOCX whose second table row starts at logical column ``grid_before``."""
    first = b"<w:tr>" + _w_cell("规章") + _w_cell("5") + b"</w:tr>"
    second = (
        b'<w:tr><w:trPr><w:gridBefore w:val="%d"/></w:trPr>' % grid_before
        + _w_cell("行政规范性文件")
        + _w_cell("3")
        + b"</w:tr>"
    )
    heading = (
        b"<w:p><w:r><w:t>\xe4\xb8\x80\xe3\x80\x81\xe6\x80\xbb\xe4\xbd\x93\xe6\x83\x85\xe5\x86\xb5</w:t></w:r></w:p>"
    )
    return docx(heading + b"<w:tbl>" + first + second + b"</w:tbl>")


def make_html_colspans(cells: int = 10_000, colspan: int = 200, per_row: int = 100) -> bytes:
    """An HTML table of ``cells`` cells each spanning ``colspan`` columns (2,000,000 logical columns)."""
    rows = []
    for r in range(0, cells, per_row):
        rows.append("<tr>" + "".join(f'<td colspan="{colspan}">{r + c}</td>' for c in range(per_row)) + "</tr>")
    return ("<html><body><p>一、总体情况</p><table>" + "".join(rows) + "</table></body></html>").encode()


def make_pdf_many_pages(pages: int = 2000) -> bytes:
    return pdf([b"BT /F1 12 Tf 72 720 Td (1) Tj ET"] * pages)


def make_docx_billion_laughs(levels: int = 9) -> bytes:
    """Entities that expand tenfold per level (1e9 "lol"s), and an external entity (XXE) reading a file."""
    entities = '<!ENTITY l0 "lol"><!ENTITY xxe SYSTEM "file:///etc/passwd">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, levels + 1)
    )
    document = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document {_W.decode()}><w:body>'
        f"<w:p><w:r><w:t>&l{levels};&xxe;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    return _zip({"[Content_Types].xml": _DOCX_TYPES, "_rels/.rels": _DOCX_RELS, "word/document.xml": document})


def make_html_deep(depth: int = 100_000) -> bytes:
    return ("<html><body>" + "<div>" * depth + "一、总体情况" + "</div>" * depth + "</body></html>").encode()


def xlsx(sheet: bytes, shared: list[str] | None = None) -> bytes:
    """An XLSX with one sheet (``sheet`` is the whole worksheet XML) and optional shared strings."""
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rels_ns = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    office = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    members = {
        "[Content_Types].xml": types,
        "_rels/.rels": b'<?xml version="1.0"?><Relationships %s><Relationship Id="rId1" Type="%s/officeDocument" '
        b'Target="xl/workbook.xml"/></Relationships>' % (rels_ns, office),
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook %s %s><sheets><sheet name="Sheet1" sheetId="1" '
        b'r:id="rId1"/></sheets></workbook>' % (ns, rel),
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships %s>'
        b'<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
        b'<Relationship Id="rId2" Type="%s/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        % (rels_ns, office, office),
        "xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><worksheet %s>%s</worksheet>' % (ns, sheet),
    }
    strings = shared or []
    members["xl/sharedStrings.xml"] = b'<?xml version="1.0"?><sst %s count="%d" uniqueCount="%d">%s</sst>' % (
        ns,
        len(strings),
        len(strings),
        b"".join(b"<si><t>%s</t></si>" % s.encode() for s in strings),
    )
    return _zip(members)


def make_xlsx_merges(merges: int = 1500) -> bytes:
    """A small sheet with ``merges`` merged ranges, each just under the old per-range cap (20,000 cells)."""
    data = b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>1</t></is></c></row></sheetData>'
    refs = b"".join(
        b'<mergeCell ref="%s1:%s5000"/>' % (_letters(4 * i + 1), _letters(4 * i + 4)) for i in range(merges)
    )
    return xlsx(data + b'<mergeCells count="%d">%s</mergeCells>' % (merges, refs))


def _letters(col: int) -> bytes:
    out = b""
    while col:
        col, rest = divmod(col - 1, 26)
        out = bytes([65 + rest]) + out
    return out


def make_xlsx_bad_shared_string() -> bytes:
    """A cell pointing at shared string 999 of a table holding one (openpyxl: IndexError)."""
    data = b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>999</v></c></row></sheetData>'
    return xlsx(data, shared=["规章"])


def make_digit_flood(digits: int = 30_000_000) -> bytes:
    """A report flattened as crawlers leave it (spec damaged-reports §1) whose table 3 row 本年新收 is one
    run of ``digits`` digits."""
    from ogi.render import make_record, render_text
    from ogi.render.damage import flatten

    rng = random.Random(digits)
    run = "".join(rng.choice("0123456789") for _ in range(min(digits, 1000)))
    run = (run * (digits // len(run) + 1))[:digits]
    record = make_record(random.Random(3), "2021", 2022, "示例县交通运输局")
    text = flatten(render_text(record, "pipe", seed=3))
    label = "本年新收政府信息公开申请数量"
    start = text.index(label) + len(label)
    end = start
    while text[end].isdigit():
        end += 1
    return (text[:start] + run + text[end:]).encode()


def text_report() -> bytes:
    """A short GBK report with a table row, as small organs publish."""
    return (
        "示例县交通运输局2022年政府信息公开工作年度报告\n一、总体情况\n2022年，我局认真贯彻落实条例。\n"
        "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 12 0 0 0 1 0 13\n"
        "六、其他需要报告的事项\n无。\n"
    ).encode("gbk")


def make_bit_flip(bit: int = 77) -> bytes:
    """``text_report`` with one bit flipped."""
    data = bytearray(text_report())
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


def make_mixed_encoding() -> bytes:
    """A text report whose first half is UTF-8 and second half GBK (two pages pasted together)."""
    return "一、总体情况\n本年度我局主动公开政府信息。\n".encode() + "二、主动公开政府信息情况\n规章 0 0 0\n".encode(
        "gbk"
    )


def make_zip_bomb(member: str = "word/document.xml", megabytes: int = 24) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(megabytes):
                fh.write(chunk)
    return buffer.getvalue()


# name → (generator, the argument for the CI size); the bench calls the same generators with bigger sizes.
KINDS: dict[str, tuple[Callable[..., bytes], tuple]] = {
    "docx-grid-before": (make_docx_grid_before, (300_000_000,)),
    "html-colspans": (make_html_colspans, (10_000, 200)),
    "html-deep": (make_html_deep, (100_000,)),
    "pdf-many-pages": (make_pdf_many_pages, (2000,)),
    "docx-billion-laughs": (make_docx_billion_laughs, (9,)),
    "pdf-image-page": (make_pdf_image_page, (5000,)),
    "pdf-image-pages": (make_pdf_image_pages, (400,)),
    "pdf-path-flood": (make_pdf_path_flood, (2_000_000,)),
    "pdf-ruled-grid": (make_pdf_ruled_grid, (10,)),
    "pdf-damaged-page": (make_pdf_damaged_page, ()),
    "pdf-self-tree": (make_pdf_self_tree, ()),
    "xlsx-merges": (make_xlsx_merges, (1500,)),
    "xlsx-bad-shared-string": (make_xlsx_bad_shared_string, ()),
    "digit-flood": (make_digit_flood, (3_000_000,)),
    "bit-flip": (make_bit_flip, (77,)),
    "mixed-encoding": (make_mixed_encoding, ()),
    "zip-bomb-docx": (make_zip_bomb, ("word/document.xml", 24)),
    "zip-bomb-xlsx": (make_zip_bomb, ("xl/worksheets/sheet1.xml", 24)),
}


@dataclass(slots=True)
class Outcome:
    """How one file fared in a child process: ``ok``, ``refused`` (an OgiError), ``crash``, ``killed``, ``timeout``."""

    status: str
    seconds: float
    max_rss_mb: float
    error: str = ""


def _child(data: bytes, name: str, memory_mb: int, limits: dict, conn) -> None:
    import resource
    import time
    import traceback

    from ogi import budget
    from ogi.model import OgiError, Table
    from ogi.pipeline import parse
    from ogi.read import read

    for limit, value in limits.items():
        setattr(budget, limit, value)  # a smaller budget, so that CI reaches a limit in seconds
    # The forked child starts with the address space of the test process that forked it (libraries and thread
    # stacks of earlier tests), so the reader's budget is counted on top of that, not from zero.
    cap = (_address_space_mb() + memory_mb) << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    start = time.perf_counter()
    try:
        from ogi.grid import source_grid

        document = read(data, name)
        for block in document.blocks:
            if isinstance(block, Table):
                source_grid(block)  # the web page's source pane (issue #15 item 1)
        parse(data, name)
        status, error = "ok", ""
    except OgiError as exc:
        status, error = (
            ("refused", f"{type(exc).__name__}: {exc}") if name in str(exc) else ("crash", f"unnamed: {exc}")
        )
    except BaseException:  # noqa: BLE001 — what the suite is looking for
        status, error = "crash", traceback.format_exc(limit=-3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send((status, time.perf_counter() - start, rss, error))
    conn.close()


def _address_space_mb() -> int:
    """This process's virtual size in MB (Linux /proc; 0 where unknown)."""
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * resource.getpagesize() >> 20
    except OSError:
        return 0


def run_limited(
    data: bytes, name: str, memory_mb: int = 2048, seconds: float = 60, limits: dict | None = None
) -> Outcome:
    """Read and parse ``data`` in a forked child under an address-space limit and a wall-clock limit;
    ``limits`` overrides ogi.budget values in the child."""
    import multiprocessing
    import time

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(data, name, memory_mb, limits or {}, send), daemon=True)
    start = time.perf_counter()
    process.start()
    send.close()
    if not receive.poll(seconds):
        process.kill()
        process.join()
        return Outcome("timeout", time.perf_counter() - start, 0.0, f"no answer in {seconds} s")
    try:
        status, spent, rss, error = receive.recv()
    except EOFError:
        process.join()
        return Outcome("killed", time.perf_counter() - start, 0.0, f"exit code {process.exitcode}")
    process.join()
    return Outcome(status, spent, rss, error)


def hostile_span_docx(grid_before: int = 300_000_000) -> bytes:
    """A valid generated report (cells known) as DOCX whose first table row starts at column ``grid_before``."""
    from ogi.render import make_record, render_docx

    record = make_record(random.Random(15), "2021", 2022, "示例县交通运输局")
    source = zipfile.ZipFile(io.BytesIO(render_docx(record, seed=1)))
    members = {info.filename: source.read(info) for info in source.infolist()}
    body = members["word/document.xml"]
    at = body.index(b"<w:tr") + len(b"<w:tr")
    at = body.index(b">", at) + 1
    members["word/document.xml"] = body[:at] + b'<w:trPr><w:gridBefore w:val="%d"/></w:trPr>' % grid_before + body[at:]
    return _zip(members)


def hostile_span_html(cells: int = 10_000, colspan: int = 200) -> bytes:
    """A valid generated report as HTML with a table of ``cells`` cells of ``colspan`` columns appended."""
    from ogi.render import make_record, render_html

    record = make_record(random.Random(15), "2021", 2022, "示例县交通运输局")
    page = render_html(record, seed=1, encoding="utf-8")
    extra = make_html_colspans(cells, colspan)
    table = extra[extra.index(b"<table>") : extra.index(b"</table>") + len(b"</table>")]
    return page.replace(b"</body>", table + b"</body>")


def parse_forever(item: tuple[bytes, str]) -> None:
    """An upload parser that never finishes: the file of the time-limit test, stopped only by its budget. (A
    budget of 0 s with a real parser is not enough: a fast parse can answer before the parent looks.)"""
    time.sleep(600)
