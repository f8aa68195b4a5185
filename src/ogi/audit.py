"""Record → findings: the single-report rules of spec §6, run from the catalogue in ``rules.py``.

Pure: no I/O. ``CHECKS`` maps each check named in the catalogue to its function; the table identities
are judged by ``identities.py``. Cross-year rules live in ``crossyear.py`` and are called through
``audit(record, previous)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from . import forms
from .crossyear import cross_year
from .forms import T3_COLUMNS
from .identities import format_number as _fmt
from .identities import judge
from .model import Finding, Origin, Record, Severity, State
from .rules import RULES, finding

# Looking up an enum member (State.number) goes through the enum's metaclass and costs more than the
# rest of a per-cell test, so the members tested for every cell are bound once here.
_NUMBER, _UNREADABLE, _MISSING = State.number, State.unreadable, State.missing
_UNFILLED = (State.blank, State.not_applicable)
_OCR = Origin.ocr


class CellIndex:
    """A record's cells grouped by state, in one pass: most of an audit's work is looking at ~200 cells,
    so the checks share this instead of each walking the cells again. Lists keep the cells' order."""

    __slots__ = ("blank", "missing", "numbers", "t3_rows", "unreadable")

    def __init__(self, record: Record) -> None:
        numbers: dict[str, int | Decimal] = {}  # the values of the cells that hold a readable number
        unreadable: list[str] = []  # something written that is not a number (raw text kept)
        blank: list[str] = []  # blank or "无"/"不适用"
        missing: set[str] = set()  # present under the key but marked missing
        for key, cell in record.cells.items():
            state = cell.state
            if state is _NUMBER:
                if (value := cell.value) is not None:
                    numbers[key] = value
            elif state is _UNREADABLE:
                if cell.raw:
                    unreadable.append(key)
            elif state in _UNFILLED:
                blank.append(key)
            elif state is _MISSING:
                missing.add(key)
        self.numbers, self.unreadable, self.blank, self.missing = numbers, unreadable, blank, missing
        self.t3_rows = forms.t3_rows(record.meta.template or "2021", record.cells)  # the rows table 3 has


# A rule's check: the record and its cell index, built once per audit (checks that read no cells ignore it).
Check = Callable[[Record, CellIndex], Iterable[Finding]]


def audit(record: Record, previous: Record | None = None) -> list[Finding]:
    """The findings against the report (审核发现): every rule in order, most severe first."""
    return assess(record, previous)[0]


def assess(record: Record, previous: Record | None = None) -> tuple[list[Finding], list[Finding]]:
    """(审核发现, 读取问题): what the report gets wrong, and what ogi could not read (issue #10).

    The reading problems are extraction's (``record.problems``; one whose cells have all been read since,
    by a reviewer's correction, is gone) and those of checks that could not be made because of them."""
    index = CellIndex(record)
    out: list[Finding] = []
    for check in _IN_ORDER:
        out.extend(check(record, index))
    if previous is not None:
        out.extend(cross_year(record, previous))
    # Whatever extraction put in ``record.problems`` is a reading problem, whichever stage wrote it.
    carried = [
        p if p.kind == "reading" else p.model_copy(update={"kind": "reading"})
        for p in record.problems
        if _still_unread(record, p)
    ]
    problems = _dedupe(carried + [f for f in out if f.kind == "reading"])
    findings = [f for f in out if f.kind == "finding"]
    return _by_severity(findings), _by_severity(problems)


def _by_severity(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity.value])


def _still_unread(record: Record, problem: Finding) -> bool:
    """A reading problem about cells holds while one of them is still unread (not since corrected)."""
    if not problem.keys:
        return True
    cells = record.cells
    return any((c := cells.get(k)) is None or c.state in (_UNREADABLE, _MISSING) for k in problem.keys)


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.rule, tuple(f.keys), f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# Per key: may it be negative (本年增/减), may it have decimals (amounts of money)?
_SIGNED = frozenset(k for t in forms.TEMPLATES for k in forms.keys(t) if forms.column_of(k).signed)
_MONEY = frozenset(k for t in forms.TEMPLATES for k in forms.keys(t) if forms.column_of(k).money)


def check_identities(record: Record, index: CellIndex) -> list[Finding]:
    """The table identities. One that fails on numbers read by OCR may be a slip of the OCR, not the organ's
    arithmetic: a reading problem for the reviewer to check against the image (issue #10)."""
    found = judge(record, index.numbers, index.t3_rows)
    if not found or record.meta.kind != "ocr" and not _any_ocr(record):
        return found
    cells = record.cells
    return [
        f.model_copy(
            update={
                "kind": "reading",
                "severity": Severity.warning,
                "message": f.message + "（含文字识别读出的数字，可能是识别错误，请对照原件核对）",
            }
        )
        if f.severity is Severity.error and any((c := cells.get(k)) and c.origin is _OCR for k in f.keys)
        else f
        for f in found
    ]


def _any_ocr(record: Record) -> bool:
    return any(c.origin is _OCR for c in record.cells.values())


def check_cell_types(record: Record, index: CellIndex) -> list[Finding]:
    numbers = index.numbers
    # Most reports have neither negative nor decimal values: min() and the set of value types settle that
    # in C before any key is looked at one by one.
    negative, fractional = [], []
    if min(numbers.values(), default=0) < 0:
        negative = [k for k, v in numbers.items() if v < 0 and k not in _SIGNED]
    if any(issubclass(t, Decimal) for t in set(map(type, numbers.values()))):
        fractional = [
            k for k, v in numbers.items() if isinstance(v, Decimal) and k not in _MONEY and v != v.to_integral_value()
        ]
    unread = [k for k in index.unreadable if not _reported(record, k)]
    # A cell OCR could not make out, or whose damaged digits allow several readings, is ogi's reading
    # failure; text such as "3件多" in a cell is the report's.
    misread = [k for k in unread if record.cells[k].origin is _OCR or record.cells[k].candidates]
    unreadable = [k for k in unread if k not in misread] if misread else unread
    blank = index.blank
    out = [
        finding(
            "CELL-TYPE",
            keys,
            problem + "、".join(_show(record, k) for k in keys),
            expected=expected,
            found=", ".join(_fmt(record.cells[k].value) if numeric else record.cells[k].raw for k in keys),
        )
        for keys, problem, expected, numeric in (
            (negative, "数量不能为负数：", "≥0", True),
            (fractional, "件数应为整数：", "整数", True),
            (unreadable, "单元格内容不是数字：", "数字", False),
        )
        if keys
    ]
    if misread:
        out.append(
            finding(
                "CELL-TYPE",
                misread,
                "未能确定读数的单元格（文字识别不清或数字粘连有多种读法），请对照原文核对："
                + "、".join(_show(record, k) for k in misread),
                severity=Severity.warning,
                kind="reading",
            )
        )
    if blank:
        out.append(
            finding(
                "CELL-TYPE",
                blank,
                f"{len(blank)} 个单元格空白或填“无”，未填写数字（审核时常按0处理）",
                severity=Severity.info,
                message_en=f"{len(blank)} blank cells",
            )
        )
    return out


def _reported(record: Record, key: str) -> bool:
    return any(key in f.keys for f in record.problems)


def _show(record: Record, key: str) -> str:
    cell = record.cells[key]
    return f"{forms.label_of(key)}（{cell.raw or _fmt(cell.value)}）"


def check_format_year(record: Record, index: CellIndex) -> list[Finding]:
    year, template = record.meta.year, record.meta.template
    if year is None or template is None:
        return []
    expected = forms.template_for(year)
    if template == expected:
        return []
    return [
        finding(
            "FORMAT-YEAR",
            [],
            f"{year}年度报告应使用{expected}版格式，实际使用{template}版格式",
            expected=expected,
            found=template,
        )
    ]


def check_format_complete(record: Record, index: CellIndex) -> list[Finding]:
    out = _missing_sections(record)
    for s in record.sections:
        if not s.standard:
            std = forms.SECTIONS[s.number - 1].title
            out.append(
                finding(
                    "FORMAT-COMPLETE",
                    [],
                    f"第{'一二三四五六'[s.number - 1]}部分标题不规范：“{s.heading}”，应为“{std}”",
                    expected=std,
                    found=s.heading,
                    severity=Severity.warning,
                )
            )
    out.extend(_missing_rows(record, index))
    ocr = record.meta.kind == "ocr"  # a row OCR read that no label names is likelier a slip than an extra row
    for extra in record.extras:
        out.append(
            finding(
                "FORMAT-COMPLETE",
                [],
                f"表{'一二三四'[extra.table - 1]}有格式外的行或列：“{extra.label}”"
                + ("（文字识别读出，可能是识别错误，请对照原件核对）" if ocr else ""),
                found=" | ".join(extra.values),
                severity=Severity.warning,
                kind="reading" if ocr else "finding",
            )
        )
    template = record.meta.template
    if template == "2021" and "other" in _row_keys(index.t3_rows, template):
        out.append(
            finding(
                "FORMAT-COMPLETE",
                [f"t3.other.{c.key}" for c in T3_COLUMNS],
                "表三沿用2019版“(六)其他处理”单行，2021版应分为三个子项",
                severity=Severity.warning,
            )
        )
    return out


_NUMERALS = "一二三四五六"
# A section whose own table was read is there, whatever became of its heading.
_TABLE_OF_SECTION = {2: "t2.", 3: "t3.", 4: "t4."}


def _missing_sections(record: Record) -> list[Finding]:
    """FORMAT-COMPLETE for the sections the reader did not find, each said as sure as the reader can be:
    a section whose table was read, or whose words stand in the text, is a heading ogi missed (a reading
    problem); one of which nothing at all is seen is the report's lack (issue #10)."""
    present = {s.number for s in record.sections}
    missing = [n for n in range(1, 7) if n not in present]
    if not missing:
        return []
    text = _SPACE.sub("", "".join(s.heading + s.text for s in record.sections))
    seen, lacking = [], []
    for n in missing:
        table = _TABLE_OF_SECTION.get(n)
        has_table = table is not None and any(
            k.startswith(table) and c.state is not _MISSING for k, c in record.cells.items()
        )
        section = forms.SECTIONS[n - 1]
        words = any(title in text for title in (section.title, *section.accepted))  # the heading's whole wording
        (seen if has_table or words or not present else lacking).append(n)
    out = []
    if lacking:
        numbers, names = _sections_named(lacking)
        out.append(
            finding(
                "FORMAT-COMPLETE",
                [],
                f"缺少第{numbers}部分：{names}"
                f"（已识别其余 {len(present)} 个部分的标题，全文未见这些部分的标题字样或统计表）",
                expected="六个部分",
                found=f"{len(present)} 个部分",
            )
        )
    if seen:
        numbers, names = _sections_named(seen)
        out.append(
            finding(
                "FORMAT-COMPLETE",
                [],
                f"未能识别第{numbers}部分的标题：{names}"
                "（原文中有相应的统计表或标题字样，或未识别任何标题，请对照原文核对）",
                expected="六个部分",
                found=f"识别出 {len(present)} 个部分",
                severity=Severity.warning,
                kind="reading",
            )
        )
    return out


def _sections_named(numbers: list[int]) -> tuple[str, str]:
    """("一、三", "一、总体情况、三、…"): sections by their numerals, and with their titles."""
    numerals = "、".join(_NUMERALS[n - 1] for n in numbers)
    return numerals, "、".join(f"{_NUMERALS[n - 1]}、{forms.SECTIONS[n - 1].title}" for n in numbers)


def _row_keys(rows: tuple[forms.Row, ...], template: str) -> frozenset[str]:
    """The keys of table-3 ``rows`` (most reports: their format's own, whose keys are known)."""
    return _OWN_ROW_KEYS[template] if rows is forms.T3_ROWS[template] else frozenset(r.key for r in rows)


_OWN_ROW_KEYS = {t: frozenset(r.key for r in forms.T3_ROWS[t]) for t in forms.TEMPLATES}


_KEY_SET = {t: frozenset(forms.keys(t)) for t in forms.TEMPLATES}


def _missing_rows(record: Record, index: CellIndex) -> list[Finding]:
    template = record.meta.template
    if template is None:
        return []
    cells = record.cells
    # Most reports have every cell: a set comparison settles that before any key is looked at in Python.
    if not index.missing and cells.keys() >= _KEY_SET[template]:
        return []
    missing = [k for k in forms.keys(template) if k not in cells or k in index.missing]
    out = []
    groups: dict[str, list[str]] = {}
    for key in missing:
        groups.setdefault(key.rsplit(".", 1)[0], []).append(key)
    has = _row_keys(index.t3_rows, template)
    for row in forms.T3_ROWS[template]:
        if row.key not in has:  # a split （六） row a 2021 report replaced by the single one (forms.t3_rows)
            groups.pop(f"t3.{row.key}", None)
    for number, table, name in ((2, "t2", "表二"), (3, "t3", "表三"), (4, "t4", "表四")):
        rows = {r: ks for r, ks in groups.items() if r.startswith(table + ".")}
        if not rows:
            continue
        total = sum(1 for k in forms.keys(template) if k.startswith(table + "."))
        keys = [k for ks in rows.values() for k in ks]
        doubt = _doubt(record, number, table, len(keys) == total)
        if len(keys) == total:
            message = f"{name}缺失" + (
                f"或未能识别（{doubt}，请对照原文核对）" if doubt else "（该部分正文中未见统计数字）"
            )
            found = "0"
        else:
            labels = sorted({forms.label_of(k).rsplit("·", 1)[0] for k in keys})
            message = f"{name}缺少 {len(keys)} 个单元格：" + "；".join(labels)
            message += (
                f"（{doubt}，可能是未能识别的行，请对照原文核对）" if doubt else "（表中其余各行均已读出，未见这些行）"
            )
            found = f"{total - len(keys)} 个"
        out.append(
            finding(
                "FORMAT-COMPLETE",
                keys,
                message,
                expected=f"{total} 个单元格",
                found=found,
                severity=Severity.warning if doubt else None,
                kind="reading" if doubt else "finding",
            )
        )
    return out


_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def _doubt(record: Record, number: int, table: str, whole: bool) -> str:
    """Why cells the reader did not find may be there all the same ("" when nothing suggests so): rows of
    the table it could not map, rows of it it could not read, a section that holds numbers but no table."""
    table_number = int(table[1])
    if any(e.table == table_number for e in record.extras):
        return "表中有未能对应到格式的行"
    if any(k.startswith(table) for p in record.problems for k in p.keys):
        return "表中有未能读取的行"
    if whole:
        section = record.section(number)
        if section is None:
            return "未识别该部分"
        if len(_DIGITS.findall(section.text)) >= 10:
            return "该部分正文中有数字，但未能识别为表格"
    return ""


def _sentences_with(texts: list[str], word: str) -> list[str]:
    """The sentences of ``texts`` (stretches between 。 ; ； and line ends) that contain ``word``, in order.

    A report has some 150 sentences and only a handful name the word, so only the lines that contain it are
    split; splitting every sentence was most of TEXT-TABLE's time."""
    lines = [line for text in texts if word in text for line in text.split("\n") if word in line]
    return [
        s
        for line in lines
        for s in line.replace("。", "\n").replace(";", "\n").replace("；", "\n").split("\n")
        if word in s
    ]


_APPLIED = (
    re.compile(
        r"(?:收到|受理|新收|接收|接到|办理)[^。;,，\d]{0,16}?申请[^。;\d]{0,8}?(?:共|合计|总计)?\s*(\d+)\s*(?:件|起|个|份|条|宗)"
    ),
    re.compile(r"(?:收到|受理|新收|接收|接到)\s*(\d+)\s*(?:件|起|个|份|条|宗)[^。;]{0,14}?(?:依申请|申请)"),
)
_NO_APPLICATION = re.compile(r"(?:未|没有)(?:收到|有|受理|接到|发生)[^。;,，\d]{0,12}?(?:依申请|公开申请)")
_REVIEW = re.compile(r"行政复议[^。;,，\d]{0,6}?(\d+)\s*(?:件|起|宗|次)")
_NO_REVIEW = re.compile(r"(?:未|没有)(?:发生|有|收到)[^。;\d]{0,24}?行政复议")


def check_text_table(record: Record, index: CellIndex) -> list[Finding]:
    narrative = [s.text for s in record.sections if s.number in (1, 3, 4, 5, 6)]
    out = []
    new, carried = record.value("t3.new.total"), record.value("t3.carried_in.total")
    if new is not None:
        for sentence in _sentences_with(narrative, "申请"):
            stated = _stated_applications(sentence)
            if stated is not None and stated not in (new, new + (carried or 0)):
                out.append(
                    finding(
                        "TEXT-TABLE",
                        ["t3.new.total"],
                        f"正文称申请 {stated} 件（“{sentence.strip()[:60]}”），表三本年新收总计为 {_fmt(new)}",
                        expected=_fmt(new),
                        found=stated,
                    )
                )
                break
    review = record.value("t4.review.total")
    if review is not None:
        for sentence in _sentences_with(narrative, "复议"):
            m = _REVIEW.search(sentence)
            stated = int(m[1]) if m else (0 if _NO_REVIEW.search(sentence) else None)
            if stated is not None and stated != review:
                out.append(
                    finding(
                        "TEXT-TABLE",
                        ["t4.review.total"],
                        f"正文称行政复议 {stated} 件（“{sentence.strip()[:60]}”），表四行政复议总计为 {_fmt(review)}",
                        expected=_fmt(review),
                        found=stated,
                    )
                )
                break
    return out


def _stated_applications(sentence: str) -> int | None:
    if "复议" in sentence or "诉讼" in sentence and "申请" not in sentence:
        return None
    for pattern in _APPLIED:
        if m := pattern.search(sentence):
            return int(m[1])
    if _NO_APPLICATION.search(sentence):
        return 0
    return None


_FEES = re.compile(r"信息处理费|处理费|收费")


def check_fees_stated(record: Record, index: CellIndex) -> list[Finding]:
    if (record.meta.year or 0) < 2021:
        return []
    section = record.section(6)
    text = section.text if section else "\n".join(s.text for s in record.sections)
    if _FEES.search(text):
        return []
    return [
        finding(
            "FEES-STATED",
            [],
            f"{record.meta.year}年度报告第六部分未说明信息处理费收取情况（应写明收取金额或未收取）",
            expected="信息处理费收取情况",
            found=(text.strip()[:40] or "（无第六部分）"),
        )
    ]


def check_deadline(record: Record, index: CellIndex) -> list[Finding]:
    published, year = record.meta.published, record.meta.year
    if published is None or year is None:
        return []
    due = forms.deadline(year, record.meta.is_government)
    if published <= due:
        return []
    late = (published - due).days
    return [
        finding(
            "DEADLINE",
            [],
            f"发布日期 {published.isoformat()} 晚于法定期限 {due.isoformat()}，逾期 {late} 天",
            expected=f"≤{due.isoformat()}",
            found=published.isoformat(),
        )
    ]


CHECKS: dict[str, Check] = {
    check.__name__: check
    for check in (
        check_identities,
        check_cell_types,
        check_format_year,
        check_format_complete,
        check_text_table,
        check_fees_stated,
        check_deadline,
    )
}
# The checks of the single-report rules, each once, in the catalogue's order.
_IN_ORDER: tuple[Check, ...] = tuple(dict.fromkeys(CHECKS[r.check] for r in RULES if r.single_report))
