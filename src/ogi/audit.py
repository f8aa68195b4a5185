"""Record → findings: the single-report rules of spec §6, run from the catalogue in ``rules.py``.

Pure: no I/O. An identity with a blank, missing or unreadable operand is not judged (no error); the
skip is reported once per rule as ``info`` so a reviewer knows what was not checked.
Cross-year rules live with the corpus (issue #4) and are called through ``audit(record, previous)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from . import forms
from .forms import T3_COLUMNS
from .model import Finding, Record, Severity, State
from .rules import IDENTITIES, RULE_BY_ID, Identity

Check = Callable[[Record], Iterable[Finding]]


def audit(record: Record, previous: Record | None = None) -> list[Finding]:
    """All findings for a record: extraction problems already on it, then every rule in order."""
    findings = _dedupe(list(record.problems))
    for check in CHECKS:
        findings.extend(check(record))
    if previous is not None:
        try:
            from .crossyear import cross_year  # issue #4; absent in a core-only install
        except ImportError:  # pragma: no cover
            cross_year = None
        if cross_year is not None:
            findings.extend(cross_year(record, previous))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity.value])


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.rule, tuple(f.keys), f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def finding(rule: str, keys: list[str], message: str, expected=None, found=None, message_en: str = "",
            severity: Severity | None = None) -> Finding:
    spec = RULE_BY_ID[rule]
    return Finding(
        rule=rule, severity=severity or spec.severity, keys=keys, message=message,
        message_en=message_en or spec.title_en,
        expected=None if expected is None else str(expected), found=None if found is None else str(found),
    )


def _fmt(x) -> str:
    return format(x, "f").rstrip("0").rstrip(".") if isinstance(x, Decimal) else str(x)


class _Skips:
    """Collects identities that could not be judged, reported once per rule."""

    def __init__(self) -> None:
        self.keys: dict[str, list[str]] = {}

    def add(self, rule: str, keys: list[str]) -> None:
        self.keys.setdefault(rule, []).extend(k for k in keys if k not in self.keys.get(rule, []))

    def findings(self) -> list[Finding]:
        return [
            finding(rule, keys, f"{RULE_BY_ID[rule].title}：因 {len(keys)} 个单元格空白、缺失或无法识别，相关核对未进行",
                    message_en="identity not checked: blank or missing operands", severity=Severity.info)
            for rule, keys in self.keys.items()
        ]


def _numbers(record: Record, keys: list[str]) -> list | None:
    values = []
    for key in keys:
        cell = record.cells.get(key)
        if cell is None or cell.state is not State.number or cell.value is None:
            return None
        values.append(cell.value)
    return values


def _identity(record, rule, left, right, left_label, right_label, where, skips) -> Finding | None:
    lv, rv = _numbers(record, left), _numbers(record, right)
    if lv is None or rv is None:
        present = [k for k in left + right if k in record.cells]
        if present:
            skips.add(rule, [k for k in present if record.cells[k].state is not State.number])
        return None
    a, b = sum(lv), sum(rv)
    if a == b:
        return None
    return finding(
        rule, left + right,
        f"{where}：{left_label} = {_fmt(a)}，{right_label} = {_fmt(b)}，相差 {_fmt(abs(a - b))}",
        expected=_fmt(a), found=_fmt(b),
        message_en=f"{where}: {' + '.join(left)} = {_fmt(a)} but {' + '.join(right)} = {_fmt(b)}",
    )


def _t3_results(record: Record) -> list[str]:
    """Result rows (一)…(六) as present: the template's, plus a deviating single/split （六） row."""
    template = record.meta.template or "2021"
    rows = list(forms.T3_RESULT_ROWS[template])
    extra = [r for r in forms.T3_RESULT_ROWS["2019" if template == "2021" else "2021"] if r not in rows]
    for row in extra:
        if any(f"t3.{row}.{c.key}" in record.cells for c in T3_COLUMNS):
            rows.append(row)
    if template == "2021" and "other" in rows and not _has_row(record, "other.no_correction"):
        rows = [r for r in rows if not r.startswith("other.")] + ["other"]
    return rows


def _has_row(record: Record, row: str) -> bool:
    return any(record.cells.get(f"t3.{row}.{c.key}", None) is not None
               and record.cells[f"t3.{row}.{c.key}"].state is not State.missing for c in T3_COLUMNS)


def check_identities(record: Record) -> list[Finding]:
    out: list[Finding] = []
    skips = _Skips()
    for ident in IDENTITIES:
        out.extend(_expand(record, ident, skips))
    results = _t3_results(record)
    for c in T3_COLUMNS:
        f = _identity(record, "T3-TOTAL", [f"t3.total.{c.key}"], [f"t3.{r}.{c.key}" for r in results],
                      "(七)总计", "(一)至(六)之和", f"表三“{c.label}”列", skips)
        out.extend([f] if f else [])
    rows = [r.key for r in forms.T3_ROWS[record.meta.template or "2021"]]
    rows += [r for r in results if r not in rows]
    for row in rows:
        keys = [f"t3.{row}.{a}" for a in forms.T3_APPLICANTS]
        if not any(k in record.cells for k in keys):
            continue
        label = forms.label_of(f"t3.{row}.total").split("·")[1]
        f = _identity(record, "T3-COLUMNS", [f"t3.{row}.total"], keys, "总计", "六类申请人之和", f"表三“{label}”行", skips)
        out.extend([f] if f else [])
    return out + skips.findings()


def _expand(record: Record, ident: Identity, skips: _Skips) -> list[Finding]:
    out = []
    for x in ident.over:
        left = [k.format(x=x) for k in ident.left]
        right = [k.format(x=x) for k in ident.right]
        name = next((c.label for c in T3_COLUMNS if c.key == x), None) if ident.rule.startswith("T3") else None
        where = f"表三“{name}”列" if name else f"表四“{next(g.label for g in forms.T4_GROUPS if g.key == x)}”"
        f = _identity(record, ident.rule, left, right, ident.left_label, ident.right_label, where, skips)
        if f:
            out.append(f)
    return out


def check_cell_types(record: Record) -> list[Finding]:
    negative, fractional, unreadable, blank = [], [], [], []
    for key, cell in record.cells.items():
        if cell.state is State.number and cell.value is not None:
            column = forms.column_of(key) if key in _KNOWN else None
            signed = column is not None and column.signed
            money = column is not None and column.money
            if cell.value < 0 and not signed:
                negative.append(key)
            if not money and isinstance(cell.value, Decimal) and cell.value != cell.value.to_integral_value():
                fractional.append(key)
        elif cell.state is State.unreadable and cell.raw and not _reported(record, key):
            unreadable.append(key)
        elif cell.state in (State.blank, State.not_applicable):
            blank.append(key)
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


_KNOWN = set(forms.keys("2019")) | set(forms.keys("2021"))


def _reported(record: Record, key: str) -> bool:
    return any(key in f.keys for f in record.problems)


def _show(record: Record, key: str) -> str:
    cell = record.cells[key]
    return f"{forms.label_of(key)}（{cell.raw or _fmt(cell.value)}）"


def check_format_year(record: Record) -> list[Finding]:
    year, template = record.meta.year, record.meta.template
    if year is None or template is None:
        return []
    expected = forms.template_for(year)
    if template == expected:
        return []
    return [finding("FORMAT-YEAR", [], f"{year}年度报告应使用{expected}版格式，实际使用{template}版格式",
                    expected=expected, found=template)]


def check_format_complete(record: Record) -> list[Finding]:
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
    out.extend(_missing_rows(record))
    for extra in record.extras:
        out.append(finding("FORMAT-COMPLETE", [], f"表{'一二三四'[extra.table - 1]}有格式外的行或列：“{extra.label}”",
                           found=" | ".join(extra.values), severity=Severity.warning))
    template = record.meta.template
    if template == "2021" and _has_row(record, "other"):
        out.append(finding("FORMAT-COMPLETE", [f"t3.other.{c.key}" for c in T3_COLUMNS],
                           "表三沿用2019版“(六)其他处理”单行，2021版应分为三个子项", severity=Severity.warning))
    return out


def _missing_rows(record: Record) -> list[Finding]:
    template = record.meta.template
    if template is None:
        return []
    out = []
    groups: dict[str, list[str]] = {}
    for key in forms.keys(template):
        cell = record.cells.get(key)
        if cell is None or cell.state is State.missing:
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


_SENTENCE = re.compile(r"[^。;；\n]+")
_APPLIED = (
    re.compile(r"(?:收到|受理|新收|接收|接到|办理)[^。;,，\d]{0,16}?申请[^。;\d]{0,8}?(?:共|合计|总计)?\s*(\d+)\s*(?:件|起|个|份|条|宗)"),
    re.compile(r"(?:收到|受理|新收|接收|接到)\s*(\d+)\s*(?:件|起|个|份|条|宗)[^。;]{0,14}?(?:依申请|申请)"),
)
_NO_APPLICATION = re.compile(r"(?:未|没有)(?:收到|有|受理|接到|发生)[^。;,，\d]{0,12}?(?:依申请|公开申请)")
_REVIEW = re.compile(r"行政复议[^。;,，\d]{0,6}?(\d+)\s*(?:件|起|宗|次)")
_NO_REVIEW = re.compile(r"(?:未|没有)(?:发生|有|收到)[^。;\d]{0,24}?行政复议")


def check_text_table(record: Record) -> list[Finding]:
    narrative = "\n".join(s.text for s in record.sections if s.number in (1, 3, 4, 5, 6))
    out = []
    new, carried = record.value("t3.new.total"), record.value("t3.carried_in.total")
    sentences = _SENTENCE.findall(narrative)
    if new is not None:
        for sentence in sentences:
            if "申请" not in sentence:
                continue
            stated = _stated_applications(sentence)
            if stated is not None and stated not in (new, new + (carried or 0)):
                out.append(finding("TEXT-TABLE", ["t3.new.total"],
                                   f"正文称申请 {stated} 件（“{sentence.strip()[:60]}”），表三本年新收总计为 {_fmt(new)}",
                                   expected=_fmt(new), found=stated))
                break
    review = record.value("t4.review.total")
    if review is not None:
        for sentence in sentences:
            if "复议" not in sentence:
                continue
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


def check_fees(record: Record) -> list[Finding]:
    if (record.meta.year or 0) < 2021:
        return []
    section = record.section(6)
    text = section.text if section else "\n".join(s.text for s in record.sections)
    if _FEES.search(text):
        return []
    return [finding("FEES-STATED", [], f"{record.meta.year}年度报告第六部分未说明信息处理费收取情况（应写明收取金额或未收取）",
                    expected="信息处理费收取情况", found=(text.strip()[:40] or "（无第六部分）"))]


def check_deadline(record: Record) -> list[Finding]:
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
