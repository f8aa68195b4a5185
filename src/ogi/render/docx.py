"""Record → DOCX in the official layout, cells merged horizontally and vertically (issue #3 item 2).

python-docx builds one Word table per statutory table: each grid origin cell is merged over its
rowspan × colspan, so readers must take a merged cell once, at its origin. Headings and paragraphs are
plain text (numbering written out, as organs type it), the signature and date close the document.
"""

from __future__ import annotations

import random
from io import BytesIO

from .. import grid as g
from ..model import Record
from .text import format_date, paragraphs, sections, stable_seed, value_text


def render_docx(record: Record, *, seed: int | None = None) -> bytes:
    import docx  # python-docx: loaded only when a DOCX is asked for
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    rng = random.Random(stable_seed(record, "docx") if seed is None else seed)
    meta = record.meta
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    title = meta.title or f"{meta.organ}{meta.year}年政府信息公开工作年度报告"
    document.core_properties.title = title
    document.core_properties.author = meta.organ or ""
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(16)
    grids = g.of_record(record, skip_absent=True)
    for section in sections(record):
        if section.heading:
            document.add_paragraph().add_run(section.heading.translate(g.FULLWIDTH)).bold = True
        for text in paragraphs(section):
            document.add_paragraph(text.translate(g.FULLWIDTH)).paragraph_format.first_line_indent = Pt(21)
        if section.number in grids:
            _table(document, record, grids[section.number], rng)
    if meta.published:
        for text in (meta.organ or "", format_date(meta.published, rng, rng.choice(("cn", "iso")))):
            document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document, record: Record, grid: g.Grid, rng: random.Random) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    table = document.add_table(rows=len(grid.rows), cols=grid.width)
    table.style = "Table Grid"
    # table.cell() rebuilds the whole cell list on every call; take it once. Origin cells are never
    # covered by an earlier merge (place() skips covered positions), so these handles stay valid.
    cells = table._cells
    for r, c, cell in g.place(grid):
        target = cells[r * grid.width + c]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(cells[(r + cell.rowspan - 1) * grid.width + c + cell.colspan - 1])
        if cell.key is not None:
            text = value_text(record.cells.get(cell.key), rng, ("", "", "—", "/"))
        else:
            text = cell.text.translate(g.FULLWIDTH)
        paragraph = target.paragraphs[0]
        lines = text.split("\n")
        for i, line in enumerate(lines):
            run = paragraph.add_run(line)
            run.font.size = Pt(9)
            if i < len(lines) - 1:
                run.add_break()  # Word's line break inside a narrow header cell ("商业/企业")
        if cell.key is not None or cell.header:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
