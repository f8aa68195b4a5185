"""Crawler page text whose body is one line (damaged-reports §1): cut back into lines, tables read by labels.

Two halves, one concept:

``unflatten(document) -> Document``: the pipeline stage after normalise. When a long line holds a
    section heading (or a table header) and a table row run together, every line with an inline
    heading is cut before and after it (found by its words; locate then keeps them in order), the
    title is cut from the front, the signature and date from the end, and style-sheet debris is
    dropped. The document is marked ``hints["flattened"]`` ("spaced" or "glued": whether table 3
    shows its numbers apart), so that extract hands its tables to ``read_table``.
``read_table(table, blocks, template, cells, problems, match_row, spacing)``: one table's text cut
    into rows by the format's row labels (extract.match_row, handed in; a label it cannot place takes
    its place in the table's order), each row's digit run read by repair.read_runs with the whole
    table's identities; what stays open is unread, with its candidates and a reading problem.

Headings are never taken from a table row: "四、结转下年度继续办理" and a repeated "三、本年度办理结果"
carry none of the words of sections 四 and 三, and a heading's words may not run across digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from . import forms, repair
from .forms import SECTIONS
from .model import Cell, Document, Finding, Line, Origin, Severity, State, Template, Where

# extract.match_row, handed in by extract (which calls this module): the one row-label matcher.
MatchRow = Callable[[str, str], "forms.Row | None"]

_LONG = 300  # a body line at least this long may be a whole page run together
_NUMBERING = re.compile(r"第?([一二三四五六])(?:部分)?\s*[、.,:．]")
_YEAR = re.compile(r"^\s*(?:20\d\d\s*年度?)?\s*")
_WINDOW_END = re.compile(r"[\d。;；]|[一二三四五六七八九十]、|\(|（")
_CLOSING = ("情况", "事项")
_DEBRIS = re.compile(r"/\*.*?\*/|[A-Za-z][\w.#\-: ,]*\{[^{}]*\}")
_TITLE = re.compile(r"^\s*(.{4,60}?(?:年度报告|工作报告))")
_END_DATE = re.compile(
    r"(?:(20\d\d)\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|二[〇零○O][一二三四五六七八九〇零○O]{2}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)\s*$"
)
# A table row whose label runs into its digits, on a line with no cell separator.
_GLUED_ROW = re.compile(r"(?:申请数量|规章|规范性文件|行政许可|其他处理|总计)\s*\d")


def unflatten(document: Document) -> Document:
    """The document with its run-together lines cut at their inline headings (unchanged unless a long
    line holds a heading and a table row run together: "…申请数量120001013")."""
    if document.text is None or len(document.text) < _LONG:
        return document
    lines = [b for b in document.blocks if isinstance(b, Line)]
    texts = [line.text for line in lines]
    if not any(len(t) >= _LONG and "|" not in t and _run_together(t) for t in texts):
        return document
    out: list[Line] = []
    for line in lines:  # a page that kept a few paragraph breaks has lines with one heading inside
        text = _DEBRIS.sub(" ", line.text) if "{" in line.text else line.text
        headings = _inline_headings(text)
        if not headings:
            out.append(line)
            continue
        out.extend(Line(piece, line.number, line.page) for piece in _cut(text, headings))
    text = "\n".join(line.text for line in out)
    cut = replace(document, blocks=list(out), hints=document.hints | {"flattened": _spacing(text)})
    cut.text = text
    return cut


def _spacing(text: str) -> str:
    """ "spaced" when every row of table 3 shows its seven numbers apart (then spaces separate cells on
    the whole page, damaged-reports §1), else "glued": spaces, if any, are possible boundaries only."""
    start, end = text.find("申请人情况"), text.rfind(_CARRIED_OUT)
    if start == -1 or end < start:
        return "glued"
    runs = [run for _, run in _segments(text[start : end + 60].replace("&nbsp;", " ")) if run]
    spaced = len(runs) >= 10 and all(len(repair.pieces_of(run)) == 7 for run in runs[:-1])
    return "spaced" if spaced else "glued"


def _run_together(text: str) -> bool:
    """A page on one line: a table row glued to its label beside a heading or a table header (a page
    that lost its headings), or two section headings (a page whose tables are images)."""
    if _GLUED_ROW.search(text) and ("申请人情况" in text or "信息内容" in text):
        return True
    return len(_inline_headings(text)) >= 2


def _inline_headings(text: str) -> list[tuple[int, int]]:
    """(start, end) of every place that reads as a section heading: numbering, then within a short
    stretch without digits the section's core words; the heading ends after its wording."""
    found = []
    for m in _NUMBERING.finditer(text):
        number = "一二三四五六".index(m[1]) + 1
        rest = text[m.end() : m.end() + 45]
        head = _YEAR.match(rest)
        offset = head.end() if head else 0
        stop = _WINDOW_END.search(rest, offset)
        window = rest[: stop.start() if stop else len(rest)]
        section = SECTIONS[number - 1]
        ends = [window.find(c) + len(c) for c in section.cores if c in window]
        if not ends:
            continue
        wordings = [w for w in (*section.accepted, section.title) if rest.startswith(w, offset)]
        end = offset + max(map(len, wordings)) if wordings else min(ends)
        if not wordings:
            for closing in _CLOSING:
                at = window.find(closing, end - 1)
                if at != -1 and at - end < 12:
                    end = at + len(closing)
                    break
        found.append((m.start(), m.end() + end))
    return found


def _cut(text: str, headings: list[tuple[int, int]]) -> list[str]:
    """A page-long line as lines: title, then text and headings alternately, then the closing date."""
    pieces: list[str] = []
    start = 0
    if m := _TITLE.match(text):
        pieces.append(m[1])
        start = m.end()
    for begin, end in headings:
        if begin < start:
            continue
        pieces.append(text[start:begin])
        pieces.append(text[begin:end])
        start = end
    tail = text[start:]
    if (m := _END_DATE.search(tail)) and m.start() > 0:
        body, date = tail[: m.start()], m[0]
        sentence_end = max(body.rfind("。"), body.rfind(" "))
        signature = body[sentence_end + 1 :]
        if 2 <= len(signature.strip()) <= 30:
            pieces += [body[: sentence_end + 1], signature, date]
        else:
            pieces += [body, date]
    else:
        pieces.append(tail)
    return [p.strip() for p in pieces if p.strip()]


_RUN = re.compile(r"[\d\-](?:[\d\s,\-]|\.(?=\s*\d))*")  # a "." only inside a number ("…" is "...")
_LABEL_START = re.compile(r"(?:[一二三四五六七八九十]+[、.．]|\([一二三四五六七八九十]+\)|\d[.．、])(?=[^\d.．、])")
_NUMBERED = re.compile(r"[.．、](?![.．、\d])")  # a sub-row's number mark, then its label
_SIGN = re.compile(r"(?<=\d)\s*(增|减|\+)\s*(?=\d)")
_HEADER_WORDS: dict[str, tuple[str, ...]] = {}  # per candidate set: words after which a label starts


def read_table(
    table: int,
    blocks: list,
    template: Template,
    cells: dict[str, Cell],
    problems: list[Finding],
    match_row: MatchRow,
    spacing: str = "glued",
) -> None:
    """The cells of table 2, 3 or 4 from the text of its section on a flattened page; ``match_row``
    names the row a label stands for (extract.match_row); ``spacing``: the page's, hints["flattened"]."""
    texts = [b.text for b in blocks if isinstance(b, Line)]
    if not texts:
        return
    where = Where(line=next(b.number for b in blocks if isinstance(b, Line)))
    text = _narrow(table, "".join(texts).replace("&nbsp;", " "))
    if not any(ch.isdigit() for ch in text):
        return  # no figures at all (a table given as an image): its cells are missing, not unread
    if table == 4:  # the last table: the report-level note on how the tables were read (§5)
        _table4(text, where, cells, problems, spacing == "spaced")
        problems.append(_summary(cells))
        return
    candidates = "t3" if table == 3 else f"t2.{template}"
    if table == 2:
        text = _SIGN.sub(lambda m: " -" if m[1] == "减" else " ", text)
    rows = _rows(text, candidates, _expected(table, template), match_row)
    if table == 2:
        _table2(rows, template, where, cells, problems, spacing == "spaced")
    else:
        _table3(rows, template, where, cells, problems)


# Where each table's text begins and ends, for a page whose headings are lost (then every table's
# span is the whole page); within a section's own text they change nothing that matters.
_CARRIED_OUT = "结转下年度继续办理"


def _narrow(table: int, text: str) -> str:
    if table == 2:
        start = _first(text, ("第二十条", "信息内容"), 0)
        end = _first(text, ("申请人情况", "勾稽关系"), start)
        return text[start : end if end > start else None]
    carried_out = text.rfind(_CARRIED_OUT)
    review = text.find("行政复议", carried_out) if carried_out != -1 else -1
    if table == 3:
        start = _first(text, ("勾稽关系", "申请人情况"), 0)
        return text[start : review if review > start else None]
    return text[review:] if review != -1 else text


def _first(text: str, words: tuple[str, ...], start: int) -> int:
    """Where the first of ``words`` (in order of preference) occurs from ``start``; ``start`` if none."""
    for word in words:
        at = text.find(word, start)
        if at != -1:
            return at
    return start if start else 0


def _expected(table: int, template: Template) -> list[str]:
    if table == 2:
        return [r.key for b in forms.t2_blocks(template) for r in b.rows]
    return [r.key for r in forms.T3_ROWS[template]]


def _segments(text: str) -> list[tuple[str, str]]:
    """(text, the run of digits after it) pairs; the sub-row number a run swallowed ("00000002.") goes
    back to the label it numbers."""
    out: list[tuple[str, str]] = []
    label, start = "", 0
    for m in _RUN.finditer(text):
        label += text[start : m.start()]
        run = m[0]
        start = m.end()
        if _NUMBERED.match(text, start) and run.rstrip()[-1:].isdigit():  # "00000002." + "其他…", not "…"
            run = run.rstrip()
            run, carried = run[:-1], run[-1]
        else:
            carried = ""
        if run.strip():
            out.append((label, run.strip()))
            label = ""
        label += carried
    if label.strip():
        out.append((label + text[start:], ""))
    elif start < len(text):
        out.append((text[start:], ""))
    return out


def _labels_of(segment: str, candidates: str) -> tuple[str, str]:
    """The label at the end of a segment: after the last numbering; and that without the header
    words before it (a label may hold a header word itself: "不计其他情形")."""
    starts = [m.start() for m in _LABEL_START.finditer(segment)]
    label = segment[starts[-1] :].strip() if starts else segment.strip()
    best = -1
    for word in _header_words(candidates):
        at = label.rfind(word)
        if at != -1:
            best = max(best, at + len(word))
    return label, (label[best:] if 0 <= best < len(label) else label).strip()


def _header_words(candidates: str) -> tuple[str, ...]:
    words = _HEADER_WORDS.get(candidates)
    if words is None:
        if candidates == "t3":
            columns = [c.label for c in forms.T3_COLUMNS]
            words = (*columns, "申请人情况", "法人或其他组织")
        else:
            columns = [c.label for t in forms.TEMPLATES for b in forms.t2_blocks(t) for c in b.columns]
            words = (*columns, "信息内容", "项")
        _HEADER_WORDS[candidates] = words
    return words


def _rows(text: str, candidates: str, expected: list[str], match_row: MatchRow) -> dict[str, tuple[str, str]]:
    """Row key → (label as read, its run), in the table's order: labels matched by extract.match_row,
    and a label it cannot place taken by its position between two placed rows."""
    segments = _segments(text)
    labels: list[str] = []
    matched: list[str | None] = []
    taken: set[str] = set()
    for segment, run in segments:
        row = None
        for label in dict.fromkeys(_labels_of(segment, candidates)):
            if label and (row := match_row(label, candidates)) is not None:
                break
        labels.append(label)
        key = row.key if row is not None and row.key not in taken else None
        if key is not None:
            taken.add(key)
        matched.append(key if run or key else None)
    _by_order(matched, segments, expected)
    return {key: (labels[i], segments[i][1]) for i, key in enumerate(matched) if key is not None}


def _by_order(matched: list[str | None], segments: list[tuple[str, str]], expected: list[str]) -> None:
    """Unplaced labels with runs between two placed rows take the rows the format has between them,
    when there are exactly as many of each (a typo'd label keeps its place in the table)."""
    position = {k: i for i, k in enumerate(expected)}
    placed = [i for i, k in enumerate(matched) if k in position]
    for a, b in zip([-1, *placed], [*placed, len(matched)]):
        gap = [i for i in range(a + 1, b) if segments[i][1] and matched[i] is None]
        low = position[matched[a]] + 1 if a >= 0 else 0  # type: ignore[index]
        high = position[matched[b]] if b < len(matched) else len(expected)  # type: ignore[index]
        missing = [k for k in expected[low:high] if k not in matched]
        if gap and len(gap) == len(missing) and (a >= 0 or b < len(matched)) and (b < len(matched) or a >= 0):
            if b == len(matched) and any(segments[i][0] and not segments[i][1] for i in range(a + 1, b)):
                continue  # text after the last run: the table may have ended before these
            for i, key in zip(gap, missing):
                matched[i] = key


def _table2(rows, template: Template, where: Where, cells, problems, page_spaced: bool) -> None:
    widths = {r.key: len(b.columns) for b in forms.t2_blocks(template) for r in b.rows}
    # Spaces separate cells only where every row shows them so (damaged-reports §1): table 2's few rows
    # could by chance, so the page's table 3 must show it too.
    spaced = page_spaced and all(
        len(repair.pieces_of(run)) == widths[key] for key, (_, run) in rows.items() if widths.get(key, 1) > 1
    )
    for block in forms.t2_blocks(template):
        columns = block.columns
        for row in block.rows:
            keys = [f"t2.{row.key}.{c.key}" for c in columns]
            found = rows.get(row.key)
            if found is None:
                _unfound(keys, row.label, where, cells, problems)
                continue
            label, run = found
            reading = repair.read_runs(
                [run],
                len(columns),
                money=[i for i, c in enumerate(columns) if c.money],
                signed=[i for i, c in enumerate(columns) if c.signed],
                spaced=spaced,
            )
            _store(keys, label, run, reading, 0, where, cells, problems)


def _table3(rows, template: Template, where: Where, cells, problems) -> None:
    keys = [k for k in rows if k in forms.T3_ROW_KEYS]
    present = set(keys)
    absent = [
        row
        for row in forms.T3_ROWS[template]
        if row.key not in present and not (row.key.startswith("other") and present & {"other", "other.misc"})
    ]
    identities = repair.t3_identities(keys)
    if absent:  # the 总计 row is the sum of all result rows, not of those found
        results = {i for i, k in enumerate(keys) if k in forms.T3_RESULT_ROWS[template]}
        identities = [i for i in identities if not results & set(i.rows)]
    reading = repair.read_runs([rows[k][1] for k in keys], 7, repair.T3_ROW, identities)
    for i, key in enumerate(keys):
        label, run = rows[key]
        _store(list(forms.T3_ROW_KEYS[key]), label, run, reading, i, where, cells, problems)
    if absent:
        label = "、".join(row.label for row in absent[:3]) + (f"等 {len(absent)} 行" if len(absent) > 3 else "")
        _unfound([k for row in absent for k in forms.T3_ROW_KEYS[row.key]], label, where, cells, problems)
    if reading.broken:
        problems.append(_note("表三的数字不能同时满足全部勾稽关系：只按成立的关系还原，其余留待审核", []))


_T4_RUN = re.compile(r"\d[\d\s]*")


def _table4(text: str, where: Where, cells, problems, page_spaced: bool) -> None:
    keys = list(forms.T4_KEYS)
    runs = [m[0].strip() for m in _T4_RUN.finditer(text)]
    run = next((r for r in runs if sum(ch.isdigit() for ch in r) >= len(keys)), None)
    if run is None:
        _unfound(keys, "行政复议、行政诉讼", where, cells, problems)
        return
    reading = repair.read_runs([run], len(keys), repair.T4_ROW, spaced=None if page_spaced else False)
    _store(keys, "行政复议、行政诉讼", run, reading, 0, where, cells, problems)
    if reading.broken:
        problems.append(_note("表四的数字不能同时满足各组总计关系：只按成立的关系还原，其余留待审核", []))


def _store(keys, label: str, run: str, reading: repair.TableReading, row: int, where: Where, cells, problems) -> None:
    """Cells of one row from its reading: forced values as inferred, the rest unread with candidates."""
    unread = []
    origin = Origin.source if reading.direct[row] else Origin.inferred
    for key, cell in zip(keys, reading.cells[row]):
        if cell.value is not None:
            cells[key] = Cell(key, cell.value, State.number, None, run, where, origin)
        else:
            cells[key] = Cell(key, None, State.unreadable, None, run, where, Origin.inferred, list(cell.candidates))
            unread.append(key)
    if unread:
        choices = any(cells[k].candidates for k in unread)
        why = (
            "有多种拆分，保留候选读法"
            if choices
            else "可能的拆分太多，未能逐一核对"
            if reading.undecided[row] or reading.out_of_budget
            else "无法按勾稽关系拆分"
        )
        problems.append(_note(f"“{label}”一行的数字连在一起（{run}），{len(unread)} 个单元格{why}，未读出", unread))


def _unfound(keys: list[str], label: str, where: Where, cells, problems) -> None:
    for key in keys:
        cells[key] = Cell(key, None, State.unreadable, None, "", where, Origin.inferred)
    problems.append(_note(f"粘连的表格文字中未找到“{label}”，未读出", keys))


def _note(message: str, keys: list[str]) -> Finding:
    """A reading problem of ogi, not a finding against the report: never error severity."""
    return Finding(
        rule="CELL-TYPE", kind="reading", severity=Severity.info, keys=keys, message=message, message_en=message
    )


def _summary(cells: dict[str, Cell]) -> Finding:
    recovered = sum(1 for c in cells.values() if c.origin is Origin.inferred and c.state is State.number)
    open_ = sum(1 for c in cells.values() if c.candidates)
    unread = sum(1 for c in cells.values() if c.state is State.unreadable)
    return _note(
        f"表格文字粘连，已按勾稽关系还原 {recovered} 个单元格，{open_} 个单元格有多种可能，共 {unread} 个单元格未读出",
        [],
    )
