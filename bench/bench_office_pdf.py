"""PDFs made as organs make them, read back (issue #10): generated reports → DOCX → PDF by LibreOffice
(one batch) → parse. Prints cells exact per format, wrong numbers, FORMAT-COMPLETE and error findings.

    python bench/bench_office_pdf.py [--count 40] [--typos]

``--typos`` writes row-label typos of real PDFs into every DOCX first ("2.其他法律行政止公开",
"（一）子以公开"). Needs LibreOffice (soffice).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from ogi import forms
from ogi.pipeline import parse
from ogi.render import make_record
from ogi.render.docx import render_docx
from ogi.render.office import office_pdfs

TYPOS = (("其他法律行政法规禁止公开", "其他法律行政止公开"), ("（一）予以公开", "（一）子以公开"))


def with_typos(docx: bytes) -> bytes:
    import io
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(docx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                text = data.decode()
                for right, written in TYPOS:
                    text = text.replace(right, written)
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--typos", action="store_true")
    parser.add_argument("--keep", type=Path, help="write the PDFs into this folder, to look at them")
    args = parser.parse_args()
    rng = random.Random(2026)
    records = []
    for i in range(args.count):
        template = "2019" if i % 2 else "2021"
        records.append(make_record(rng, template, 2020 if template == "2019" else 2022, f"示例县第{i}局"))
    documents = [render_docx(r, seed=i) for i, r in enumerate(records)]
    if args.typos:
        documents = [with_typos(d) for d in documents]
    start = time.perf_counter()
    pdfs = office_pdfs(documents)
    converted = time.perf_counter() - start
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for i, pdf in enumerate(pdfs):
            (args.keep / f"office-{i}.pdf").write_bytes(pdf)
    totals: dict[str, list[int]] = {"2019": [0, 0, 0], "2021": [0, 0, 0]}  # cells, exact, wrong numbers
    format_complete = errors = 0
    for i, (record, pdf) in enumerate(zip(records, pdfs)):
        parsed = parse(pdf, f"office-{i}.pdf")
        counts = totals[record.meta.template]
        for key in forms.keys(record.meta.template):
            cell, truth = parsed.cells.get(key), record.cells[key]
            counts[0] += 1
            if cell is not None and cell.value == truth.value and cell.state is truth.state:
                counts[1] += 1
            elif cell is not None and cell.value is not None and cell.value != truth.value:
                counts[2] += 1
        format_complete += sum(1 for f in parsed.findings + parsed.problems if f.rule == "FORMAT-COMPLETE")
        errors += sum(1 for f in parsed.findings if f.severity.value == "error")
        if args.keep and (any(f.rule == "FORMAT-COMPLETE" for f in parsed.findings + parsed.problems)):
            print(f"  office-{i}.pdf:", [f.message[:60] for f in parsed.findings + parsed.problems])
    print(
        f"{args.count} reports converted by LibreOffice in {converted:.0f}s{' (with label typos)' if args.typos else ''}"
    )
    for template, (cells, exact, wrong) in totals.items():
        print(f"  {template}: cells exact {exact}/{cells} ({100 * exact / max(cells, 1):.2f}%), wrong numbers {wrong}")
    print(f"FORMAT-COMPLETE findings or reading problems: {format_complete}; error findings: {errors}")


if __name__ == "__main__":
    main()
