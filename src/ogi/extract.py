"""Layout + Meta → Record: every cell of tables 2–4 under its canonical key, plus the sections.

Spec §4, §5, §7. Rows are found by their labels (both formats, old and new wording), values are read
in logical column order after the label, and where a row has too few or too many values the tables'
own identities decide the only placement they admit — otherwise the cells are marked unreadable
rather than stored wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations
from operator import attrgetter

from rapidfuzz import fuzz, process

from . import forms, repair, unflatten
from .forms import T3_COLUMNS
from .forms import Row as FormRow
from .locate import Layout
from .model import Cell, Extra, Finding, Line, Meta, NotAReport, Origin, Record, Section, Severity, State, Token, Where
from .rules import IDENTITIES, IDENTITY_BY_RULE
from .tokens import Row, rows_of
from .values import is_value_text, parse_value

_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\(?[一二三四五六七八九十]+\)|\d{1,2}[.、．)](?!\d))+")
_LABEL_NOISE = re.compile(r"[\s\"“”‘’'·:,、。;]")
_PAREN = re.compile(r"\([^()]*\)")

_T3_CANDIDATES: tuple[FormRow, ...] = forms.T3_ROWS["2021"][:-2] + (forms.ROW_OTHER_2019,) + forms.T3_ROWS["2021"][-2:]
# Candidate row sets by name: match_row is cached on (text, name), and a name hashes cheaply.
CANDIDATES: dict[str, tuple[FormRow, ...]] = {
    "t3": _T3_CANDIDATES,
    "t3.new": _T3_CANDIDATES[:1],
    "t2.2019": tuple(r for b in forms.T2_2019 for r in b.rows),
    "t2.2021": tuple(r for b in forms.T2_2021 for r in b.rows),
}


def label_key(text: str) -> str:
    """A row label without numbering, remarks in brackets, quotes and spaces."""
    text = _LABEL_NOISE.sub("", text)
    text = _NUMBERING.sub("", text)
    return _PAREN.sub("", text) or text


@lru_cache(maxsize=64)
def _candidate_keys(name: str) -> tuple[dict[str, FormRow], tuple[tuple[FormRow, int], ...]]:
    candidates = CANDIDATES[name]
    exact = {}
    for row in candidates:
        exact.setdefault(label_key(row.label), row)
    return exact, tuple((row, len(label_key(row.label)) + 12) for row in candidates)


@lru_cache(maxsize=8192)
def match_row(text: str, candidates: str) -> FormRow | None:
    """The row a label names (among the named candidate set): exact wording first, then a distinctive
    core inside a short label."""
    if not text or len(text) > 80:
        return None
    key = label_key(text)
    if not key:
        return None
    exact, limits = _candidate_keys(candidates)
    if key in exact:
        return exact[key]
    if (run := glued_run(text)) is not None:  # "行政规范性文件8855698": match the label without its digits
        return match_row(text[: len(text) - len(run)].rstrip(), candidates)
    grouped = _GROUP_PREFIX.sub("", key)
    if grouped != key and grouped:  # "三、本年度办理结果(一)予以公开" as one cell
        return match_row(grouped, candidates)
    for row, limit in limits:
        if len(key) > limit:
            continue
        for core in row.cores:
            if core in key and (len(core) > 2 or key == core):
                return row
    return _similar_row(key, candidates)


# Similarity of a label read with typos, dropped characters or OCR slips to a form label (spec
# damaged-reports §4): "其他法律行政止公开" is 0.86 like "其他法律行政法规禁止公开", "子以公开" 0.75 like
# "予以公开". The best match is taken only when it is this similar and clearly more so than the runner-up.
SIMILAR = 75.0  # rapidfuzz's normalised Indel similarity, 0–100
MARGIN = 15.0  # over the second-best distinct row


# Labels in a table that are no row, yet look like one ("不予公开" is a letter away from "予以公开"): they
# compete in the similarity match, so a label resembling them is matched to nothing.
_NOT_ROWS = ("不予公开", "无法提供", "不予处理", "本年度办理结果", "申请人情况", "信息内容", "第二十条")


@lru_cache(maxsize=64)
def _similarity_choices(name: str) -> tuple[tuple[str, ...], tuple[FormRow | None, ...]]:
    """Each candidate row's label key (without numbering and remarks) with its row, and the words that are
    no row (with None)."""
    pairs: dict[str, FormRow | None] = dict.fromkeys(_NOT_ROWS)
    for row in reversed(CANDIDATES[name]):  # the first row of a key wins
        pairs[label_key(row.label)] = row
    return tuple(pairs), tuple(pairs.values())


def _similar_row(key: str, candidates: str) -> FormRow | None:
    """The row whose label ``key`` resembles, with a clear margin over anything else; None when two are close."""
    if len(key) < 3:  # too short to tell a slip from another word
        return None
    labels, rows = _similarity_choices(candidates)
    best = process.extract(key, labels, scorer=fuzz.ratio, limit=3, score_cutoff=SIMILAR - MARGIN)
    if not best or best[0][1] < SIMILAR:
        return None
    _, score, index = best[0]
    row = rows[index]
    runner_up = next((s for _, s, i in best[1:] if rows[i] is None or row is None or rows[i].key != row.key), 0.0)
    if row is None or score - runner_up < MARGIN:
        return None
    # A label much longer than the row's (a sentence that contains it) is not a slip of it.
    return row if len(key) <= len(labels[index]) * 1.5 + 2 else None


def extract(layout: Layout, meta: Meta) -> Record:
    """The record of a located report whose metadata is ``meta`` (its year picks the format when the
    layout could not tell)."""
    document = layout.document
    record = Record(meta=meta)
    record.sections = _sections(layout)
    template = layout.template or forms.template_for(meta.year or 0)
    problems: list[Finding] = []
    cells: dict[str, Cell] = {}
    extras: list[Extra] = []
    blocks = document.blocks
    flattened = document.hints.get("flattened")  # a page run onto one line: its tables are runs (unflatten.py)
    # Markdown tables only: "|---|---|" under a header (text without any "--" has none to drop).
    ruled = document.text is None or "--" in document.text
    for table, reader in ((2, _table2), (3, _table3), (4, _table4)):
        start, end = layout.table_span(table)
        if flattened:
            unflatten.read_table(table, blocks[start:end], template, cells, problems, match_row, flattened)
        else:
            rows = rows_of(blocks[start:end])
            reader(_without_rules(rows) if ruled else rows, template, cells, extras, problems)
    if not any(c.state is not State.missing for c in cells.values()) and len(record.sections) < 2:
        raise NotAReport(document.source, "未找到年度报告的章节或统计表格 (no report sections or tables found)")
    ordered: dict[str, Cell] = {}
    found = 0
    for key in forms.keys(template):  # the official order; a cell the source lacks is missing
        cell = cells.get(key)
        if cell is None:
            cell = Cell(key, None, State.missing)
        else:
            found += 1
        ordered[key] = cell
    if found < len(cells):  # rows the format lacks (the other format's), after the official ones
        ordered.update({k: c for k, c in cells.items() if k not in ordered})
    if _mark_ocr(document, ordered):
        _check_ocr_digits(ordered, template)
    record.cells = ordered
    record.extras = extras
    record.problems = problems
    return record


_MARKDOWN_RULE = re.compile(r"\s*:?-{3,}:?\s*")


def _without_rules(rows: list[Row]) -> list[Row]:
    """The rows without a markdown table's "|---|---|" line under its header: no cells, and its dashes
    would read as blanks."""
    return [r for r in rows if not (any(t.text[:2] == "--" for t in r[:2]) and _is_rule(r))]


def _is_rule(row: Row) -> bool:
    return all(_MARKDOWN_RULE.fullmatch(t.text) for t in row if t.text)


def _mark_ocr(document, cells: dict[str, Cell]) -> bool:
    """Cells read from page images carry Origin.ocr, so a reviewer knows to look twice (issue #3). True
    when there are such cells."""
    pages = {int(p) for p in document.hints.get("ocr_pages", "").split(",") if p.strip().isdigit()}
    if not pages and document.kind != "ocr":
        return False
    for cell in cells.values():
        if cell.where is not None and cell.origin is Origin.source and (cell.where.page in pages or not pages):
            cell.origin = Origin.ocr
    return True


def _check_ocr_digits(cells: dict[str, Cell], template) -> None:
    """OCR's digits checked by the table identities like any other reading (issue #10). A digit OCR misread
    breaks both its row's identity and its column's; where an OCR cell lies in a broken row identity and a
    broken column identity, and both force the same value on it, that value is the reading (origin
    ``inferred``, OCR's reading kept as the candidate). A broken identity with no such cell is left to the
    audit, as a reading problem when OCR read its cells."""
    numbers = {k: c.value for k, c in cells.items() if c.state is State.number and c.value is not None}
    results = forms.t3_result_rows(template, cells)
    rows = [r.key for r in forms.t3_rows(template, cells)]
    forced: dict[str, dict[str, set]] = {}  # key → axis → the values the broken identities force on it
    for identity in _T3_IDENTITIES:
        for x in identity.along(rows):
            left, right = identity.expand(x, results)
            if any(k not in numbers for k in left + right):
                continue
            gap = sum(numbers[k] for k in right) - sum(numbers[k] for k in left)
            if gap == 0:
                continue
            for key in dict.fromkeys(left + right):
                if cells[key].origin is Origin.ocr:
                    shift = (gap if key in left else -gap) // (left + right).count(key)
                    axis = "row" if identity.axis == "t3.row" else "column"
                    forced.setdefault(key, {}).setdefault(axis, set()).add(numbers[key] + shift)
    for key, by_axis in forced.items():
        values = set().union(*by_axis.values())
        if len(by_axis) == 2 and len(values) == 1 and (value := next(iter(values))) >= 0:
            cell = cells[key]
            cells[key] = Cell(key, value, State.number, cell.unit, cell.raw, cell.where, Origin.inferred, [cell.value])


def _sections(layout: Layout) -> list[Section]:
    sections = []
    blocks = layout.document.blocks
    for h in layout.headings:
        start, end = layout.section_span(h.number) or (h.block + 1, h.block + 1)
        text = "\n".join([t for b in blocks[start:end] if type(b) is Line and (t := b.text.strip())])
        sections.append(Section(number=h.number, heading=h.text, text=text, line=h.line, standard=h.standard))
    return sections


_TEXT = attrgetter("text")


def _texts_are_values(tokens) -> bool:
    """Whether every token is a value (an empty sequence counts: a row break)."""
    return all(map(is_value_text, map(_TEXT, tokens)))


def _has_text(tokens) -> bool:
    return any(map(_TEXT, tokens))


def _labelled_rows(rows: list[Row]):
    """Yield (label token, following value tokens) for every row with a label: the last non-value
    token of the row (an earlier one is a group label), with the values after it on its row and on the
    rows of values only that follow."""
    numeric = [_texts_are_values(row) for row in rows]  # rows of values only (an empty row is a break)
    count = len(rows)
    for r, row in enumerate(rows):
        if numeric[r]:
            continue  # values only: no label on this row
        p = len(row) - 1
        while is_value_text(row[p].text):  # stops: the row has a non-value token
            p -= 1
        values: list[Token] = list(row[p + 1 :])
        following = r + 1
        while following < count:
            if not rows[following]:
                if values:
                    break
            elif not numeric[following]:
                break
            else:
                values.extend(rows[following])
            following += 1
        yield row[p], values


def _cell(key: str, token: Token | None, origin: Origin = Origin.source) -> Cell:
    """A cell from its source token."""
    if token is None:
        return Cell(key, None, State.missing)
    value, state, unit = parse_value(token.text)
    return Cell(key, value, state, unit, token.text, token.where, origin)


def _fill(keys, tokens, cells: dict[str, Cell], origin: Origin = Origin.source) -> None:
    """Cells from tokens, key by key: the one loop most cells of a report go through."""
    for key, token in zip(keys, tokens):
        text = token.text
        value, state, unit = parse_value(text)
        cells[key] = Cell(key, value, state, unit, text, token.where, origin)


def _table2(rows, template, cells, extras, problems) -> None:
    blocks = forms.t2_blocks(template)
    candidates = f"t2.{template}"
    columns = {r.key: b.columns for b in blocks for r in b.rows}
    for label, values in _labelled_rows(rows):
        row = match_row(label.text, candidates)
        if row is None:
            if values and any(v.text for v in values) and len(label.text) <= 30 and not _is_header(label.text):
                extras.append(Extra(table=2, label=label.text, values=[v.text for v in values], where=label.where))
            continue
        keys = [f"t2.{row.key}.{c.key}" for c in columns[row.key]]
        if keys[0] in cells:
            continue
        if not any(v.text for v in values) and (run := glued_run(label.text)):
            cols = columns[row.key]
            split = repair.split_row(
                label.text,
                run,
                len(cols),
                money=[i for i, c in enumerate(cols) if c.money],
                signed=[i for i, c in enumerate(cols) if c.signed],
            )
            _assign_split(keys, split, label, run, cells, problems)
        elif values:
            _assign_plain(keys, values, label, cells, problems)


_HEADER_WORDS = ("信息内容", "第二十条", "本年", "数量", "件数", "金额", "项目", "申请人", "结果", "总计", "数据")


def _is_header(text: str) -> bool:
    return any(w in text for w in _HEADER_WORDS)


def _without_span_leftovers(values: list[Token], n: int) -> list[Token]:
    """A row's values without the empty cells a merged cell left beyond the ``n`` it has: trailing ones,
    or leading ones right after a label that spans several columns (converter markdown writes
    "| 一、本年新收… | | | 1 | 0 …")."""
    if len(values) <= n:
        return values
    if all(not v.text for v in values[n:]):
        return values[:n]
    if all(not v.text for v in values[: len(values) - n]):
        return values[len(values) - n :]
    return values


def _assign_plain(keys, values: list[Token], label: Token, cells, problems) -> None:
    """Assign values to keys in order; blanks beyond the keys are colspan leftovers."""
    n = len(keys)
    values = _without_span_leftovers(values, n)
    if len(values) == n:
        _fill(keys, values, cells)
        return
    _unreadable(keys, values, label, cells, problems)


def _unreadable(keys, values: list[Token], label: Token, cells, problems, why: str = "") -> None:
    raw = " | ".join(v.text for v in values)
    for key in keys:
        cells[key] = Cell(key=key, state=State.unreadable, raw=raw, where=label.where)
    problems.append(  # ogi's reading failure, not the organ's error: a reading problem (issue #10)
        Finding(
            rule="CELL-TYPE",
            severity=Severity.warning,
            kind="reading",
            keys=list(keys),
            expected=f"{len(keys)} 个数值",
            found=f"{len(values)} 个: {raw}",
            message=why or f"“{label.text}”一行有 {len(values)} 个数值，应为 {len(keys)} 个，无法确定对应关系，未采用",
            message_en=f"row '{label.text}' has {len(values)} values for {len(keys)} columns; not used",
        )
    )


def _table3(rows, template, cells, extras, problems) -> None:
    first = next((i for i, row in enumerate(rows) if any(match_row(t.text, "t3.new") for t in row)), None)
    header = rows[:first] if first is not None else []
    order = t3_column_order(" ".join(t.text for row in header for t in row))
    body = rows[first:] if first is not None else rows
    pending: dict[str, tuple[Token, list[Token]]] = {}
    empty: dict[str, tuple[Token, list[Token]]] = {}  # rows of empty cells only
    runs: dict[str, tuple[Token, str]] = {}
    for label, values in _labelled_rows(body):
        row = match_row(label.text, "t3")
        filled = _has_text(values)
        if row is None:
            if filled and len(label.text) <= 40 and not _is_header(label.text):
                extras.append(Extra(table=3, label=label.text, values=[v.text for v in values], where=label.where))
            continue
        if row.key in pending or row.key in runs or row.key in empty:
            continue
        run = None if filled else glued_run(label.text)
        if run:
            runs[row.key] = (label, run)
        elif filled:
            pending[row.key] = (label, values)
        elif len(values) >= 3:  # one stray empty cell is not a row of blanks
            empty[row.key] = (label, values)
    if pending:
        _place_t3(pending, order, template, cells, extras, problems)
    if len(pending) + len(runs) < len(forms.T3_ROWS[template]):
        # A row of empty cells may be a label whose values a converter put apart (detached value rows);
        # else it is a row of blanks.
        _place_detached(body, pending, runs, template, cells)
    if blank_rows := {k: row for k, row in empty.items() if f"t3.{k}.total" not in cells}:
        _place_t3(blank_rows, order, template, cells, extras, problems)
    if runs:
        _split_t3(runs, pending, order, cells, problems)


_GROUP_PREFIX = re.compile(r"^(?:本年度办理结果)?(?:不予公开|无法提供|不予处理|其他处理)?(?=.)")
_GLUED = re.compile(r"^(?P<label>.*[^\d\s.,\-])\s*(?P<run>\d[\d,.\-]*)$")


def glued_run(text: str) -> str | None:
    """The digits a crawler ran onto a label ("行政规范性文件8855698" → "8855698"), if any (spec §7)."""
    m = _GLUED.match(text)
    return m["run"] if m and len(m["label"]) >= 2 else None


def _assign_split(keys, split, label: Token, run: str, cells, problems) -> None:
    """Cells from the one reading of a run of digits, marked inferred; no reading → unreadable."""
    if split is None:
        _unreadable(
            keys,
            [Token(run, label.where)],
            label,
            cells,
            problems,
            why=f"“{label.text}”的数字连在一起，无法唯一拆分，未采用",
        )
        return
    for key, value in zip(keys, split):
        cells[key] = Cell(key=key, value=value, state=State.number, raw=run, where=label.where, origin=Origin.inferred)


def _split_t3(runs, pending, order, cells, problems) -> None:
    """Rows whose values ran together: the whole table's identities when every row is such a row,
    else each row's own (总计 = the six applicants)."""
    if "" in order:
        for label, run in runs.values():
            _assign_split([], None, label, run, cells, problems)
        return
    row_keys = list(runs)
    if not pending:
        splits = repair.solve_table([runs[k] for k in row_keys], 7, repair.T3_ROW, repair.t3_identities(row_keys))
    else:
        splits = [repair.split_row(runs[k][0].text, runs[k][1], 7, repair.T3_ROW) for k in row_keys]
    for row_key, split in zip(row_keys, splits):
        label, run = runs[row_key]
        _assign_split([f"t3.{row_key}.{c}" for c in order], split, label, run, cells, problems)


def _row_kind(row: Row) -> str:
    """label (a table-3 row label with no numbers), values (numbers only), or other."""
    if not row:
        return "break"
    if _texts_are_values(row):
        return "values" if any(t.text for t in row) else "break"
    if any(t.text and is_value_text(t.text) for t in row):
        return "other"
    return "label" if any(match_row(t.text, "t3") for t in row) else "other"


def _place_detached(body: list[Row], pending, runs, template, cells) -> None:
    """Converter markdown puts the value rows apart from their labels (spec §7): place them under the
    label rows that have no numbers, in order, when exactly one placement satisfies the identities."""
    kinds = [_row_kind(r) for r in body]
    labels: list[str] = []
    for row, kind in zip(body, kinds):
        if kind == "label":
            key = [m.key for t in row if (m := match_row(t.text, "t3"))][-1]  # the innermost label
            if key not in pending and key not in runs and key not in labels:
                labels.append(key)
    orphans: list[list[Token]] = []
    previous = "break"
    for row, kind in zip(body, kinds):
        if kind == "values" and previous in ("other", "orphan") and len(row) >= 7:
            orphans.append([t for t in row if t.text][:7] if sum(1 for t in row if t.text) == 7 else list(row[:7]))
            previous = "orphan"
        elif kind != "break":
            previous = kind
    if not labels or not orphans:
        return
    columns = [c.key for c in T3_COLUMNS]

    def check(placed: dict[int, list[Token]]) -> bool:
        trial = {
            f"t3.{labels[i]}.{c}": parse_value(t.text)[0] for i, row in placed.items() for c, t in zip(columns, row)
        }
        return _table_consistent(trial, template, cells)

    placement = repair.place_rows(len(labels), orphans, check)
    if placement is None:
        return
    for label_index, value_index in placement.items():
        for column, token in zip(columns, orphans[value_index]):
            key = f"t3.{labels[label_index]}.{column}"
            cells[key] = _cell(key, token, Origin.inferred)


def _table_consistent(trial: dict[str, object], template, cells) -> bool:
    """Every table-3 identity that can be judged on ``trial`` over ``cells`` holds (an absent value is unknown)."""

    def value(key: str):
        if key in trial:
            return trial[key]
        cell = cells.get(key)
        return cell.value if cell is not None else None

    rows = {k[3 : k.rindex(".")] for k in trial}
    present = dict(cells) | dict.fromkeys(trial, _PLACED)
    results = forms.t3_result_rows(template, present)
    for identity in _T3_IDENTITIES:
        for x in identity.along(rows):
            left, right = identity.expand(x, results)
            if not _holds([value(k) for k in left], [value(k) for k in right]):
                return False
    return True


# A cell a trial places: present for the rule of which table-3 rows a report has (forms.t3_rows).
_PLACED = Cell("", 0, State.number)
# Table 3's identities, rows first: a row that does not add up rejects a placement soonest.
_T3_IDENTITIES = sorted((i for i in IDENTITIES if i.axis.startswith("t3")), key=lambda i: i.axis != "t3.row")


def _holds(left, right) -> bool:
    if any(x is None for x in left + right):
        return True  # not judged: an operand is unknown
    return sum(left) == sum(right)


def t3_column_order(header: str) -> list[str]:
    """Column keys in source order; "" marks a column the format lacks (a 法人小计 subtotal).

    The header is two-level (自然人 | 法人或其他组织 | 总计 over the five kinds), so the order in which
    words appear is not the column order; only an added subtotal changes it, and organs put that
    after 其他, at the end of the 法人或其他组织 group.
    """
    official = [c.key for c in T3_COLUMNS]
    if "小计" in header.replace(" ", ""):
        return official[:-1] + ["", "total"]
    return official


def _place_t3(pending, order, template, cells, extras, problems) -> None:
    n = len(order)
    short: list[str] = []
    for row_key, (label, values) in pending.items():
        if len(values) > n and all(not v.text for v in values[n:]):
            values = values[:n]
        elif len(values) >= n + 2:  # a label spanning three columns (converter markdown: "| 一、… | | | 1 …")
            values = _without_span_leftovers(values, n)
        if len(values) == n and "" not in order:  # the official columns
            _fill(forms.T3_ROW_KEYS[row_key], values, cells)
        elif len(values) == n:
            for column, token in zip(order, values):
                if column:
                    key = f"t3.{row_key}.{column}"
                    cells[key] = _cell(key, token)
                else:  # a subtotal column the format lacks
                    extras.append(Extra(table=3, label=f"{label.text}·小计", values=[token.text], where=token.where))
        else:
            short.append(row_key)
    for row_key in short:
        label, values = pending[row_key]
        keys = [f"t3.{row_key}.{c}" for c in order if c]
        if _place_by_identities(row_key, values, order, template, cells):
            continue
        if len(kept := _without_span_leftovers(values, n)) == n and "" not in order:
            _fill(forms.T3_ROW_KEYS[row_key], kept, cells)  # blanks a label spanning columns left before them
        else:
            _unreadable(keys, values, label, cells, problems)


def _placements(values: list[Token], n: int):
    """Candidate readings of a row with the wrong number of values, each a {position: token} map.

    Too few: every order-keeping placement (the missing cells were empty and got dropped).
    Too many: every run of n consecutive values, and the non-empty values alone when there are n
    (a shifted row, or empty cells a pasted table added)."""
    k = len(values)
    if k < n:
        if n - k <= 3:
            for positions in combinations(range(n), k):
                yield dict(zip(positions, values))
        return
    if k > n + 3:
        return  # far too many values: several rows ran into one label, not a shifted row
    for start in range(k - n + 1):
        yield dict(enumerate(values[start : start + n]))
    filled = [v for v in values if v.text]
    if len(filled) == n:
        yield dict(enumerate(filled))


def _place_by_identities(row_key, values: list[Token], order, template, cells) -> bool:
    """Keep the candidate readings of a row that satisfy the row identity (T3-COLUMNS) and the column
    identities (T3-TOTAL, T3-BALANCE), an unplaced cell counting as unknown. Accept when the fitting
    readings agree on every number (an unplaced cell and a 0 agree: both mean nothing applied for);
    otherwise the row stays unreadable."""
    n = len(order)
    if not values or any(parse_value(v.text)[1] is State.unreadable for v in values):
        return False
    fits = []
    for placement in _placements(values, n):
        if any(parse_value(t.text)[0] is None and t.text for t in placement.values()):
            continue
        trial = {order[p]: parse_value(t.text)[0] for p, t in placement.items() if order[p]}
        if _t3_consistent(row_key, trial, template, cells):
            fits.append(placement)
    merged = _merge_fits(fits, n)
    if merged is None:
        return False
    for p, column in enumerate(order):
        if column:
            key = f"t3.{row_key}.{column}"
            token = merged[p]
            cells[key] = (
                _cell(key, token, Origin.inferred)
                if token and token.text
                else Cell(key=key, state=State.blank, origin=Origin.inferred)
            )
    return True


def _merge_fits(fits: list[dict[int, Token]], n: int) -> list[Token | None] | None:
    """One token (or None = blank) per position if all fits agree on the numbers, else None."""
    if not fits:
        return None
    merged: list[Token | None] = []
    for p in range(n):
        options = [fit.get(p) for fit in fits]
        numbers = {parse_value(t.text)[0] if t else None for t in options}
        if len(numbers) == 1:
            merged.append(options[0])
        elif numbers == {None, 0}:
            merged.append(next(t for t in options if t and t.text))  # the 0 written, not the empty cell
        else:
            return None
    return merged


def _t3_consistent(row_key, trial: dict[str, int], template, cells) -> bool:
    """One row's trial values (by column; absent = unknown) against every judgeable identity."""
    full = {f"t3.{row_key}.{c.key}": trial.get(c.key) for c in T3_COLUMNS}
    return _table_consistent(full, template, cells)


def _table4(rows, template, cells, extras, problems) -> None:
    keys = list(forms.T4_KEYS)
    if _table4_by_groups(rows, cells):
        return
    data: list[Token] = []
    for row in rows:
        if not row:
            continue
        if _texts_are_values(row):
            data.extend(row)
        elif data and any(t.text and not is_value_text(t.text) for t in row):
            if sum(1 for t in data if t.text) >= 5:
                break  # a note or the next part after the data row
            data = []
    data = _trim_blanks(data, len(keys))
    if not any(t.text for t in data):
        return
    filled = [t for t in data if t.text]
    if len(filled) == 1 and filled[0].text.isdigit() and len(filled[0].text) >= len(keys):
        run = filled[0]  # the 15 numbers ran together
        _assign_split(
            keys,
            repair.split_row("t4", run.text, len(keys), repair.T4_ROW),
            Token("行政复议、行政诉讼", run.where),
            run.text,
            cells,
            problems,
        )
        return
    if len(data) == len(keys):
        _fill(keys, data, cells)
        return
    if not _place_t4(keys, data, cells):
        label = Token("行政复议、行政诉讼", data[0].where if data else Where())
        _unreadable(keys, data, label, cells, problems)


# Table 4's groups as a converter's headings name them ("### 行政诉讼（复议后起诉）"), most specific first.
_T4_GROUP_WORDS = (
    ("suit_after", ("复议后起诉",)),
    ("suit_direct", ("未经复议", "直接起诉")),
    ("review", ("行政复议",)),
)
_T4_COLUMN_CORES = tuple((c.key, c.cores) for c in forms.T4_COLUMNS)


def _t4_group_named(text: str) -> str | None:
    if len(text) > 30 or ("复议" not in text and "起诉" not in text):
        return None
    return next((key for key, words in _T4_GROUP_WORDS if any(w in text for w in words)), None)


def _t4_columns(row: Row) -> list[str] | None:
    """The column keys a header row of five outcome labels names, in its order ("结果维持 | 结果纠正 …")."""
    texts = [t.text.replace(" ", "") for t in row if t.text]
    if len(texts) != len(forms.T4_COLUMNS):
        return None
    named = [next((k for k, cores in _T4_COLUMN_CORES if any(c in text for c in cores)), None) for text in texts]
    return named if None not in named and len(set(named)) == len(named) else None  # type: ignore[return-value]


def _table4_by_groups(rows, cells) -> bool:
    """Table 4 as three small tables, each under a heading naming its group (damaged-reports §3): five
    values under each. Taken only when all three groups are found, each once."""
    headings = [row for row in rows if len(row) == 1 and _t4_group_named(row[0].text)]
    if len(headings) < len(forms.T4_GROUPS):  # most reports: one table 4, no group headings
        return False
    found: dict[str, list[Cell]] = {}
    group: str | None = None
    columns = [c.key for c in forms.T4_COLUMNS]
    for row in rows:
        filled = [t for t in row if t.text]
        if not filled:
            continue
        if not _texts_are_values(row):
            named = _t4_group_named(filled[0].text) if len(filled) == 1 else None
            if named is not None:
                group, columns = named, [c.key for c in forms.T4_COLUMNS]
            elif (header := _t4_columns(row)) is not None:
                columns = header
            continue
        values = _trim_blanks(list(row), len(columns))
        if group is None or group in found or len(values) != len(columns):
            return False
        found[group] = [_cell(f"t4.{group}.{column}", token) for column, token in zip(columns, values)]
        group = None
    if len(found) != len(forms.T4_GROUPS):
        return False
    for group_cells in found.values():
        cells.update((c.key, c) for c in group_cells)
    return True


def _trim_blanks(data: list[Token], n: int) -> list[Token]:
    while len(data) > n and not data[-1].text:
        data = data[:-1]
    while len(data) > n and not data[0].text:
        data = data[1:]
    return data


# T4-TOTAL for each group, as the keys of both sides (rules.IDENTITIES).
_T4_SUMS = tuple(IDENTITY_BY_RULE["T4-TOTAL"].expand(g) for g in IDENTITY_BY_RULE["T4-TOTAL"].along())


def _place_t4(keys: list[str], data: list[Token], cells) -> bool:
    n, k = len(keys), len(data)
    if k > n or n - k > 2:
        return False
    numbers = [parse_value(t.text)[0] for t in data]
    if any(x is None for x in numbers):
        return False
    fits = []
    for positions in combinations(range(n), k):
        trial = {keys[p]: numbers[i] for i, p in enumerate(positions)}
        if all(sum(trial.get(k, 0) for k in left) == sum(trial.get(k, 0) for k in right) for left, right in _T4_SUMS):
            fits.append(positions)
            if len(fits) > 1:
                return False
    if len(fits) != 1:
        return False
    placed = dict(zip(fits[0], data))
    for p, key in enumerate(keys):
        token = placed.get(p)
        cells[key] = (
            _cell(key, token, Origin.inferred) if token else Cell(key=key, state=State.blank, origin=Origin.inferred)
        )
    return True
