"""Per-format throughput and memory (issue #3): reports/s on one core and peak RSS, for each input format.

    python bench/bench_formats.py [--n 60] [--ocr 2] [--formats html,docx,pdf,xlsx,doc,scan]

Reports are generated (ogi.render: both formats, random cells) before timing; each format runs in its own
child process so its peak RSS is its own. Time is CPU time of the process plus its converter/OCR children,
so figures are per core and stay honest on a busy machine. Two figures per format: ``read`` (bytes → Document, the reader
alone) and ``parse`` (the whole pipeline: read, normalise, locate, extract, audit). OCR is per page.
Targets: HTML ≥ 300 reports/s/core, born-digital PDF ≥ 20 reports/s/core. Figures go in closing notes.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import random
import resource
import time


def _reports(fmt: str, n: int) -> list[bytes]:
    from ogi.render.sample import make_record

    out = []
    for i in range(n):
        template, year = (("2019", 2020), ("2021", 2022))[i % 2]
        record = make_record(random.Random(i), template, year, f"某县第{i}局", blanks=0.2 if i % 3 == 0 else 0.0)
        out.append(_render(fmt, record))
    return out


def _render(fmt: str, record) -> bytes:
    if fmt == "html":
        from ogi.render.html import render_html

        return render_html(record, misaligned=bool(record.meta.year % 2), encoding="gbk")
    if fmt == "docx":
        from ogi.render.docx import render_docx

        return render_docx(record)
    if fmt in ("pdf", "scan"):
        from ogi.render.pdf import render_pdf, render_scan

        return render_pdf(record) if fmt == "pdf" else render_scan(record, dpi=200)
    if fmt == "xlsx":
        return _xlsx(record)
    if fmt == "doc":
        return _doc(record)
    raise ValueError(fmt)


def _xlsx(record) -> bytes:
    """The three tables as sheets: label column + values, the way organs publish spreadsheets."""
    import openpyxl

    from ogi import forms

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "三、收到和处理政府信息公开申请情况"
    sheet.append(["申请人情况"] + [c.label for c in forms.T3_COLUMNS])
    for row in forms.T3_ROWS[record.meta.template]:
        sheet.append([row.label] + [record.cells[f"t3.{row.key}.{c.key}"].raw for c in forms.T3_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _doc(record) -> bytes:
    import subprocess
    import tempfile
    from pathlib import Path

    from ogi.read.office import soffice
    from ogi.render.docx import render_docx

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "r.docx"
        source.write_bytes(render_docx(record))
        subprocess.run(
            [soffice(), "--headless", "--convert-to", "doc", "--outdir", tmp, str(source)],
            capture_output=True,
            timeout=180,
        )
        return (Path(tmp) / "r.doc").read_bytes()


def _pages(data: bytes) -> int:
    import pypdfium2 as pdfium

    return len(pdfium.PdfDocument(data))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Tesseract, LibreOffice): cost per core."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _run(fmt: str, n: int, queue) -> None:
    from ogi.pipeline import parse
    from ogi.read import read

    reports = _reports(fmt, n)
    pages = sum(_pages(r) for r in reports) if fmt in ("pdf", "scan") else 0
    read(reports[0], "warm")  # imports and caches are not throughput
    result = {"fmt": fmt, "n": n, "pages": pages, "kb": sum(map(len, reports)) / n / 1024}
    for stage, function in (("read", read), ("parse", parse)):
        if fmt in ("scan", "doc") and stage == "read":
            continue  # OCR and conversion dominate: one timing is enough
        start = _cpu()
        for i, data in enumerate(reports):
            function(data, f"r{i}.{fmt}")
        result[stage] = _cpu() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["child_rss_mb"] = children / 1024
    queue.put(result)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--ocr", type=int, default=2, help="scanned reports to OCR")
    parser.add_argument("--formats", default="html,docx,pdf,xlsx,doc,scan")
    args = parser.parse_args()
    context = mp.get_context("spawn")
    print(f"{'format':<6} {'reports':>7} {'KB':>6} {'read/s':>8} {'parse/s':>8} {'peak MB':>8}  note")
    for fmt in args.formats.split(","):
        n = args.ocr if fmt == "scan" else (max(2, args.n // 10) if fmt == "doc" else args.n)
        queue = context.Queue()
        process = context.Process(target=_run, args=(fmt, n, queue))
        process.start()
        result = queue.get()
        process.join()
        read_rate = f"{n / result['read']:8.1f}" if "read" in result else f"{'-':>8}"
        note = ""
        if fmt == "scan":
            note = f"OCR {result['parse'] / max(result['pages'], 1):.1f} CPU s/page incl. Tesseract (child RSS {result['child_rss_mb']:.0f} MB)"
        elif fmt == "pdf":
            note = f"{result['pages'] / n:.1f} pages/report"
        elif fmt == "doc":
            note = f"LibreOffice conversion (child RSS {result['child_rss_mb']:.0f} MB)"
        print(
            f"{fmt:<6} {n:>7} {result['kb']:>6.0f} {read_rate} {n / result['parse']:8.1f} {result['rss_mb']:>8.0f}  {note}"
        )


if __name__ == "__main__":
    main()
