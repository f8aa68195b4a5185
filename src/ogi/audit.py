"""Record → findings: the single-report rules of spec §6, run from the catalogue in ``rules.py``.

Pure: no I/O. An identity with a blank, missing or unreadable operand is not judged (no error); the
skip is reported once per rule as ``info`` so a reviewer knows what was not checked.
Cross-year rules live with the corpus (issue #4) and are called through ``audit(record, previous)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter, ne

from . import forms
from .forms import T3_COLUMNS
from .model import Finding, Record, Severity, State
from .rules import IDENTITIES, RULE_BY_ID, finding

# Looking up an enum member (State.number) goes through the enum's metaclass and costs more than the
# rest of a per-cell test, so the members tested for every cell are bound once here.
_NUMBER, _UNREADABLE, _MISSING = State.number, State.unreadable, State.missing
_UNFILLED = (State.blank, State.not_applicable)


class CellIndex:
    """A record's cells grouped by state, in one pass: most of an audit's work is looking at ~200 cells,
    so the checks share this instead of each walking the cells again. Lists keep the cells' order."""

    __slots__ = ("blank", "missing", "numbers", "unreadable")

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


# A rule's check: the record and its cell index, built once per audit (checks that read no cells ignore it).
Check = Callable[[Record, CellIndex], Iterable[Finding]]


def audit(record: Record, previous: Record | None = None) -> list[Finding]:
    """All findings for a record: extraction problems already on it, then every rule in order."""
    findings = _dedupe(list(record.problems))
    index = CellIndex(record)
    for check in CHECKS:
        findings.extend(check(record, index))
    if previous is not None:
        try:
            from .crossyear import cross_year  # issue #4; absent in a core-only install
        except ImportError:  # pragma: no cover
            cross_year = None
        if cross_year is not None:
            findings.extend(cross_year(record, previous))
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity.value])


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.rule, tuple(f.keys), f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _fmt(x) -> str:
    return format(x, "f").rstrip("0").rstrip(".") if isinstance(x, Decimal) else str(x)


class _Skips:
    """Collects identities that could not be judged, reported once per rule.

    Per rule, an insertion-ordered dict serves as an ordered set of keys, so adding stays linear."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, None]] = {}

    def add(self, rule: str, keys: Iterable[str]) -> None:
        self.keys.setdefault(rule, {}).update(dict.fromkeys(keys))

    def findings(self) -> list[Finding]:
        return [
            finding(rule, list(keys), f"{RULE_BY_ID[rule].title}：因 {len(keys)} 个单元格空白、缺失或无法识别，相关核对未进行",
                    message_en="identity not checked: blank or missing operands", severity=Severity.info)
            for rule, keys in self.keys.items()
        ]


@dataclass(frozen=True, slots=True)
class _Sum:
    """One identity expanded to cell keys: ``sum(left) == sum(right)``, with the texts of its finding."""

    rule: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    left_label: str
    right_label: str
    where: str  # "表三“自然人”列" …
    only_if_any: tuple[str, ...] = ()  # judged only when one of these cells is present (T3-COLUMNS: a row the report has)
    # Fetches the values of left + right from a dict in one C call (a tuple: there are always >= 2 operands);
    # KeyError when one is not a readable number.
    operands: Callable[[dict], tuple] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "operands", itemgetter(*self.left, *self.right))

    @property
    def keys(self) -> tuple[str, ...]:
        return self.left + self.right


def _mismatch(s: _Sum, a, b) -> Finding:
    return finding(
        s.rule, list(s.keys),
        f"{s.where}：{s.left_label} = {_fmt(a)}，{s.right_label} = {_fmt(b)}，相差 {_fmt(abs(a - b))}",
        expected=_fmt(a), found=_fmt(b),
        message_en=f"{s.where}: {' + '.join(s.left)} = {_fmt(a)} but {' + '.join(s.right)} = {_fmt(b)}",
    )


# Every canonical key, mapped to the very string object ``forms.keys`` holds. Extraction builds a record's
# cells from those objects, so a key taken from here finds its cell by identity: the dict lookup never reads
# the strings, which after extraction are mostly out of the CPU cache. Other records just compare as usual.
_CANONICAL = {k: k for t in forms.TEMPLATES for k in forms.keys(t)}


def _key(text: str) -> str:
    return _CANONICAL.get(text, text)


# Result rows of the other format, which a report may use instead of its own (a single or split （六） row).
_OTHER_FORMAT_RESULTS = {
    t: tuple(r for r in forms.T3_RESULT_ROWS["2019" if t == "2021" else "2021"] if r not in forms.T3_RESULT_ROWS[t])
    for t in forms.TEMPLATES
}


def _t3_results(record: Record) -> tuple[str, ...]:
    """Result rows (一)…(六) as present: the template's, plus a deviating single/split （六） row."""
    template = record.meta.template or "2021"
    cells = record.cells
    rows = list(forms.T3_RESULT_ROWS[template])
    for row in _OTHER_FORMAT_RESULTS[template]:
        if any(k in cells for k in forms.T3_ROW_KEYS[row]):
            rows.append(row)
    if template == "2021" and "other" in rows and not _has_row(record, "other.no_correction"):
        rows = [r for r in rows if not r.startswith("other.")] + ["other"]
    return tuple(rows)


def _has_row(record: Record, row: str) -> bool:
    cells = record.cells
    return any((cell := cells.get(k)) is not None and cell.state is not _MISSING for k in forms.T3_ROW_KEYS[row])


@dataclass(frozen=True, slots=True)
class _Plan:
    """The identities of one kind of report, and how to judge them all at once when every operand is a number."""

    sums: tuple[_Sum, ...]
    operands: Callable[[dict], tuple]  # the operands of every identity, side after side, in one C call
    lefts: tuple[slice, ...]  # where each identity's left side lies among those operands
    rights: tuple[slice, ...]


@lru_cache(maxsize=64)
def _plan(template: str, results: tuple[str, ...]) -> _Plan:
    """Every identity of a report with this format and these result rows, in the order they are reported.

    Expanding the key templates and labels is the same for every report of a kind, so it is done once."""
    plan = []
    for ident in IDENTITIES:
        for x in ident.over:
            name = next((c.label for c in T3_COLUMNS if c.key == x), None) if ident.rule.startswith("T3") else None
            where = f"表三“{name}”列" if name else f"表四“{next(g.label for g in forms.T4_GROUPS if g.key == x)}”"
            plan.append(_Sum(ident.rule, tuple(_key(k.format(x=x)) for k in ident.left),
                             tuple(_key(k.format(x=x)) for k in ident.right), ident.left_label, ident.right_label, where))
    for c in T3_COLUMNS:
        plan.append(_Sum("T3-TOTAL", (_key(f"t3.total.{c.key}"),), tuple(_key(f"t3.{r}.{c.key}") for r in results),
                         "(七)总计", "(一)至(六)之和", f"表三“{c.label}”列"))
    rows = [r.key for r in forms.T3_ROWS[template]]
    rows += [r for r in results if r not in rows]
    for row in rows:
        applicants = tuple(_key(f"t3.{row}.{a}") for a in forms.T3_APPLICANTS)
        label = forms.label_of(f"t3.{row}.total").split("·")[1]
        plan.append(_Sum("T3-COLUMNS", (_key(f"t3.{row}.total"),), applicants, "总计", "六类申请人之和",
                         f"表三“{label}”行", only_if_any=applicants))
    keys: list[str] = []
    lefts, rights = [], []
    for s in plan:
        lefts.append(slice(len(keys), len(keys) + len(s.left)))
        keys += s.left
        rights.append(slice(len(keys), len(keys) + len(s.right)))
        keys += s.right
    return _Plan(tuple(plan), itemgetter(*keys), tuple(lefts), tuple(rights))


def check_identities(record: Record, index: CellIndex) -> list[Finding]:
    plan = _plan(record.meta.template or "2021", _t3_results(record))
    try:
        values = plan.operands(index.numbers)
    except KeyError:
        return _judge_one_by_one(record, index, plan.sums)
    # Every operand is a readable number, as in most reports: every identity is judged, and both sides of
    # all of them are summed in C, slice by slice; Python only looks at the identities that do not hold.
    left_sums = list(map(sum, map(values.__getitem__, plan.lefts)))
    right_sums = list(map(sum, map(values.__getitem__, plan.rights)))
    if not any(map(ne, left_sums, right_sums)):
        return []
    return [_mismatch(s, a, b) for s, a, b in zip(plan.sums, left_sums, right_sums) if a != b]


def _judge_one_by_one(record: Record, index: CellIndex, sums: tuple[_Sum, ...]) -> list[Finding]:
    """An identity with an operand that is not a readable number is not judged; the skip is noted."""
    cells, numbers = record.cells, index.numbers
    present = cells.keys()
    out: list[Finding] = []
    skips = _Skips()
    for s in sums:
        if s.only_if_any and present.isdisjoint(s.only_if_any):
            continue
        try:
            values = s.operands(numbers)
        except KeyError:
            if operands := [k for k in s.keys if k in cells]:
                skips.add(s.rule, [k for k in operands if cells[k].state is not _NUMBER])
            continue
        split = len(s.left)
        a, b = sum(values[:split]), sum(values[split:])
        if a != b:
            out.append(_mismatch(s, a, b))
    return out + skips.findings()


# Per key: may it be negative (本年增/减), may it have decimals (amounts of money)?
_SIGNED = frozenset(k for t in forms.TEMPLATES for k in forms.keys(t) if forms.column_of(k).signed)
_MONEY = frozenset(k for t in forms.TEMPLATES for k in forms.keys(t) if forms.column_of(k).money)


def check_cell_types(record: Record, index: CellIndex) -> list[Finding]:
    numbers = index.numbers
    # Most reports have neither negative nor decimal values: min() and the set of value types settle that
    # in C before any key is looked at one by one.
    negative, fractional = [], []
    if min(numbers.values(), default=0) < 0:
        negative = [k for k, v in numbers.items() if v < 0 and k not in _SIGNED]
    if any(issubclass(t, Decimal) for t in set(map(type, numbers.values()))):
        fractional = [k for k, v in numbers.items()
                      if isinstance(v, Decimal) and k not in _MONEY and v != v.to_integral_value()]
    unreadable = [k for k in index.unreadable if not _reported(record, k)]
    blank = index.blank
    out = []
    if negative:
        out.append(finding("CELL-TYPE", negative, "数量不能为负数：" + "、".join(_show(record, k) for k in negative),
                           expected="≥0", found=", ".join(_fmt(record.cells[k].value) for k in negative)))
    if fractional:
        out.append(finding("CELL-TYPE", fractional, "件数应为整数：" + "、".join(_show(record, k) for k in fractional),
                           expected="整数", found=", ".join(_fmt(record.cells[k].value) for k in fractional)))
    if unreadable:
        out.append(finding("CELL-TYPE", unreadable, "单元格内容不是数字：" + "、".join(_show(record, k) for k in unreadable),
                           expected="数字", found=", ".join(record.cells[k].raw for k in unreadable)))
    if blank:
        out.append(finding("CELL-TYPE", blank, f"{len(blank)} 个单元格空白或填“无”，未填写数字（审核时常按0处理）",
                           severity=Severity.info, message_en=f"{len(blank)} blank cells"))
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
    return [finding("FORMAT-YEAR", [], f"{year}年度报告应使用{expected}版格式，实际使用{template}版格式",
                    expected=expected, found=template)]


def check_format_complete(record: Record, index: CellIndex) -> list[Finding]:
    out = []
    present = {s.number for s in record.sections}
    missing = [n for n in range(1, 7) if n not in present]
    if missing:
        names = "、".join(f"{'一二三四五六'[n - 1]}、{forms.SECTIONS[n - 1].title}" for n in missing)
        out.append(finding("FORMAT-COMPLETE", [], f"缺少第{'、'.join('一二三四五六'[n - 1] for n in missing)}部分：{names}",
                           expected="六个部分", found=f"{len(present)} 个部分"))
    for s in record.sections:
        if not s.standard:
            std = forms.SECTIONS[s.number - 1].title
            out.append(finding("FORMAT-COMPLETE", [], f"第{'一二三四五六'[s.number - 1]}部分标题不规范：“{s.heading}”，应为“{std}”",
                               expected=std, found=s.heading, severity=Severity.warning))
    out.extend(_missing_rows(record, index))
    for extra in record.extras:
        out.append(finding("FORMAT-COMPLETE", [], f"表{'一二三四'[extra.table - 1]}有格式外的行或列：“{extra.label}”",
                           found=" | ".join(extra.values), severity=Severity.warning))
    template = record.meta.template
    if template == "2021" and _has_row(record, "other"):
        out.append(finding("FORMAT-COMPLETE", [f"t3.other.{c.key}" for c in T3_COLUMNS],
                           "表三沿用2019版“(六)其他处理”单行，2021版应分为三个子项", severity=Severity.warning))
    return out


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
    if template == "2021" and _has_row(record, "other"):
        for row in ("t3.other.no_correction", "t3.other.no_fee", "t3.other.misc"):
            groups.pop(row, None)
    for table, name in (("t2", "表二"), ("t3", "表三"), ("t4", "表四")):
        rows = {r: ks for r, ks in groups.items() if r.startswith(table + ".")}
        if not rows:
            continue
        total = sum(1 for k in forms.keys(template) if k.startswith(table + "."))
        keys = [k for ks in rows.values() for k in ks]
        if len(keys) == total:
            out.append(finding("FORMAT-COMPLETE", keys, f"{name}缺失或未能识别", expected=f"{total} 个单元格", found="0"))
        else:
            labels = sorted({forms.label_of(k).rsplit("·", 1)[0] for k in keys})
            out.append(finding("FORMAT-COMPLETE", keys, f"{name}缺少 {len(keys)} 个单元格：" + "；".join(labels),
                               expected=f"{total} 个单元格", found=f"{total - len(keys)} 个"))
    return out


def _sentences_with(texts: list[str], word: str) -> list[str]:
    """The sentences of ``texts`` (stretches between 。 ; ； and line ends) that contain ``word``, in order.

    A report has some 150 sentences and only a handful name the word, so only the lines that contain it are
    split; splitting every sentence was most of TEXT-TABLE's time."""
    lines = [line for text in texts if word in text for line in text.split("\n") if word in line]
    return [s for line in lines for s in line.replace("。", "\n").replace(";", "\n").replace("；", "\n").split("\n")
            if word in s]


_APPLIED = (
    re.compile(r"(?:收到|受理|新收|接收|接到|办理)[^。;,，\d]{0,16}?申请[^。;\d]{0,8}?(?:共|合计|总计)?\s*(\d+)\s*(?:件|起|个|份|条|宗)"),
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
                out.append(finding("TEXT-TABLE", ["t3.new.total"],
                                   f"正文称申请 {stated} 件（“{sentence.strip()[:60]}”），表三本年新收总计为 {_fmt(new)}",
                                   expected=_fmt(new), found=stated))
                break
    review = record.value("t4.review.total")
    if review is not None:
        for sentence in _sentences_with(narrative, "复议"):
            m = _REVIEW.search(sentence)
            stated = int(m[1]) if m else (0 if _NO_REVIEW.search(sentence) else None)
            if stated is not None and stated != review:
                out.append(finding("TEXT-TABLE", ["t4.review.total"],
                                   f"正文称行政复议 {stated} 件（“{sentence.strip()[:60]}”），表四行政复议总计为 {_fmt(review)}",
                                   expected=_fmt(review), found=stated))
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


def check_fees(record: Record, index: CellIndex) -> list[Finding]:
    if (record.meta.year or 0) < 2021:
        return []
    section = record.section(6)
    text = section.text if section else "\n".join(s.text for s in record.sections)
    if _FEES.search(text):
        return []
    return [finding("FEES-STATED", [], f"{record.meta.year}年度报告第六部分未说明信息处理费收取情况（应写明收取金额或未收取）",
                    expected="信息处理费收取情况", found=(text.strip()[:40] or "（无第六部分）"))]


def check_deadline(record: Record, index: CellIndex) -> list[Finding]:
    published, year = record.meta.published, record.meta.year
    if published is None or year is None:
        return []
    due = forms.deadline(year, record.meta.is_government)
    if published <= due:
        return []
    late = (published - due).days
    return [finding("DEADLINE", [], f"发布日期 {published.isoformat()} 晚于法定期限 {due.isoformat()}，逾期 {late} 天",
                    expected=f"≤{due.isoformat()}", found=published.isoformat())]


CHECKS: tuple[Check, ...] = (
    check_identities,
    check_cell_types,
    check_format_year,
    check_format_complete,
    check_text_table,
    check_fees,
    check_deadline,
)
