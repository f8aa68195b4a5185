"""A case register (依申请公开台账, CSV or XLSX) → table 3 of a year, and findings per case (issue #11 item 2).

One row per application: 编号, 收到日期, 申请人类型, 答复日期, 办理结果, 是否延期, 收费金额, 备注. 申请人类型 is
one of table 3's six applicant columns and 办理结果 one of the format's result rows, by their Chinese names
(``result_names``; blank while the case is open). For the year Y:

    本年新收  = received in Y            上年结转  = received before Y, still open on 1 January of Y
    办理结果  = answered in Y            结转下年度 = received by 31 December of Y, still open then

so every case counted is either answered in Y or carried out, and T3-BALANCE, T3-TOTAL and T3-COLUMNS
hold by construction. A case that cannot be placed (unknown category, no receipt date, answered before
receipt, a result without an answer date or the reverse, a repeated 编号) is left out of the table and
reported. A case answered more than 20 working days after receipt, or 40 with 是否延期 (条例第三十三条),
is reported and still counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .. import forms
from ..model import CorruptFile, InvalidInput, Template
from .workdays import CalendarNotCovered, check_covered, working_days_after

COLUMNS = ("编号", "收到日期", "申请人类型", "答复日期", "办理结果", "是否延期", "收费金额", "备注")
APPLICANTS = {c.label: c.key for c in forms.T3_COLUMNS[:-1]}
ANSWER_DAYS, EXTENDED_DAYS = 20, 40  # 条例第三十三条: 20 working days, at most 20 more with an extension
# Per-case rules: id → Chinese title.
CASE_RULES = {
    "CASE-LATE": "超过法定答复期限",
    "CASE-ORDER": "答复日期早于收到日期",
    "CASE-CATEGORY": "类别无法识别",
    "CASE-DUPLICATE": "编号重复",
    "CASE-INCOMPLETE": "信息不全",
}
_NUMBERING = re.compile(r"^\s*(?:[(（][一二三四五六七八九十]+[)）]|\d+[.．、])")
_YES = {"是", "延期", "已延期", "y", "yes", "true", "1"}


def _plain(text: str) -> str:
    """A name as compared: NFKC (full-width brackets and digits), without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _name(text: str) -> str:
    """A result as compared, each part without its numbering: "（三）不予公开/1.属于国家秘密" → 不予公开/属于国家秘密"""
    return "/".join(_plain(_short(unicodedata.normalize("NFKC", part))) for part in text.split("/"))


def _short(label: str) -> str:
    return _NUMBERING.sub("", label.split("(区分")[0]).strip()


def result_names(template: Template) -> dict[str, str]:
    """The Chinese name of each result row of ``template`` → its key: 予以公开, 不予公开/属于国家秘密 …"""
    names = {}
    for row in forms.T3_ROWS[template]:
        if row.key not in forms.T3_RESULT_ROWS[template]:
            continue
        inside = row.group not in ("", "三、本年度办理结果")
        names[f"{_short(row.group)}/{_short(row.label)}" if inside else _short(row.label)] = row.key
    return names


@dataclass(frozen=True, slots=True)
class CaseFinding:
    line: int  # the row of the register (1 = its header)
    number: str  # 编号
    rule: str  # a key of CASE_RULES
    message: str  # Chinese


@dataclass
class Tally:
    template: Template
    year: int
    cells: dict[str, int]  # every table-3 key of the format
    findings: list[CaseFinding] = field(default_factory=list)
    counted: int = 0  # cases in the table (new, carried in, or both ends)
    left_out: int = 0  # cases that could not be placed
    fees: Decimal = Decimal(0)  # 收费金额 of the cases answered in the year (section 六, 信息处理费)


@dataclass(slots=True)
class _Case:
    line: int
    number: str
    received: dt.date | None
    applicant: str
    answered: dt.date | None
    result: str
    extended: bool
    fee: str


def tally(rows: Iterable[dict[str, object]], year: int, template: Template | None = None) -> Tally:
    """Table 3 of ``year`` from the register's ``rows`` (dicts by column name, in file order, header at line 1)."""
    fmt: Template = template or forms.template_for(year)
    check_covered(dt.date(year, 12, 31))
    names = {_name(k): v for k, v in result_names(fmt).items()}
    # The reason alone ("属于国家秘密") names its row too, where no other row has the same reason.
    shorts = Counter(_name(k.split("/")[-1]) for k in result_names(fmt))
    names.update(
        {_name(k.split("/")[-1]): v for k, v in result_names(fmt).items() if shorts[_name(k.split("/")[-1])] == 1}
    )
    applicants = {_plain(k): v for k, v in APPLICANTS.items()}
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts: Counter[tuple[str, str]] = Counter()
    out = Tally(fmt, year, {})
    seen: dict[str, int] = {}
    for case in _cases(rows, out.findings):
        placed = _place(case, names, applicants, seen, out.findings)
        if placed is None:
            out.left_out += 1
            continue
        column, result, received = placed
        if received > end or (case.answered is not None and case.answered < start):
            continue  # outside the year: received after it, or answered before it
        out.counted += 1
        counts["new" if received >= start else "carried_in", column] += 1
        if case.answered is not None and case.answered <= end:
            counts[result, column] += 1
            out.fees += _fee(case, out.findings)
            _late(case, out.findings)
        else:
            counts["carried_out", column] += 1
    out.cells = _table(fmt, counts)
    return out


def _cases(rows: Iterable[dict[str, object]], findings: list[CaseFinding]) -> Iterator[_Case]:
    for line, row in enumerate(rows, 2):
        number = _text(row.get("编号"))
        if not number and not any(_text(v) for v in row.values()):
            continue  # an empty line of the sheet
        received, answered = _date(row.get("收到日期")), _date(row.get("答复日期"))
        for column, raw, value in (
            ("收到日期", row.get("收到日期"), received),
            ("答复日期", row.get("答复日期"), answered),
        ):
            if _text(raw) and value is None:
                findings.append(CaseFinding(line, number, "CASE-INCOMPLETE", f"{column}“{_text(raw)}”无法识别为日期"))
        yield _Case(
            line,
            number,
            received,
            _text(row.get("申请人类型")),
            answered,
            _text(row.get("办理结果")),
            _text(row.get("是否延期")).lower() in _YES,
            _text(row.get("收费金额")),
        )


def _place(
    case: _Case, names: dict[str, str], applicants: dict[str, str], seen: dict[str, int], findings: list[CaseFinding]
) -> tuple[str, str, dt.date] | None:
    """(applicant column, result row or "", receipt date) of a case that can be counted; None, with a finding,
    otherwise."""

    def refuse(rule: str, message: str) -> None:
        findings.append(CaseFinding(case.line, case.number, rule, message + "，未计入表三"))

    if case.number and case.number in seen:
        refuse("CASE-DUPLICATE", f"编号“{case.number}”与第 {seen[case.number]} 行重复")
        return None
    if case.number:
        seen[case.number] = case.line
    column = applicants.get(_plain(case.applicant))
    result = names.get(_name(case.result)) if case.result else ""
    if column is None:
        refuse("CASE-CATEGORY", f"申请人类型“{case.applicant}”不是表三的六类申请人之一")
    elif result is None:
        refuse("CASE-CATEGORY", f"办理结果“{case.result}”不是本格式表三的办理结果")
    elif case.received is None:
        refuse("CASE-INCOMPLETE", "缺少收到日期")
    elif case.answered is not None and case.answered < case.received:
        refuse("CASE-ORDER", f"答复日期 {case.answered} 早于收到日期 {case.received}")
    elif (case.answered is None) != (not result):
        refuse("CASE-INCOMPLETE", "有答复日期却没有办理结果" if result == "" else "有办理结果却没有答复日期")
    else:
        return column, result, case.received
    return None


def _late(case: _Case, findings: list[CaseFinding]) -> None:
    assert case.received is not None and case.answered is not None
    limit = EXTENDED_DAYS if case.extended else ANSWER_DAYS
    try:
        days = working_days_after(case.received, case.answered)
    except CalendarNotCovered as exc:
        findings.append(CaseFinding(case.line, case.number, "CASE-LATE", f"无法判断是否逾期：{exc.problem}"))
        return
    if days > limit:
        extended = "（已延期）" if case.extended else ""
        findings.append(
            CaseFinding(
                case.line,
                case.number,
                "CASE-LATE",
                f"收到后第 {days} 个工作日才答复{extended}，超过条例第三十三条规定的 {limit} 个工作日",
            )
        )


def _fee(case: _Case, findings: list[CaseFinding]) -> Decimal:
    if not case.fee:
        return Decimal(0)
    try:
        return Decimal(case.fee.replace(",", "").removesuffix("元"))
    except InvalidOperation:
        findings.append(CaseFinding(case.line, case.number, "CASE-INCOMPLETE", f"收费金额“{case.fee}”不是数字"))
        return Decimal(0)


def _table(template: Template, counts: Counter[tuple[str, str]]) -> dict[str, int]:
    cells: dict[str, int] = {}
    results = forms.T3_RESULT_ROWS[template]
    for row in forms.T3_ROWS[template]:
        for column in forms.T3_APPLICANTS:
            if row.key == "total":
                cells[f"t3.total.{column}"] = sum(counts[r, column] for r in results)
            else:
                cells[f"t3.{row.key}.{column}"] = counts[row.key, column]
        cells[f"t3.{row.key}.total"] = sum(cells[f"t3.{row.key}.{c}"] for c in forms.T3_APPLICANTS)
    return cells


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:  # an Excel serial date typed as a number
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = unicodedata.normalize("NFKC", _text(value))
    if not text:
        return None
    match = _DATE.match(text.split(" ")[0])
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def read_register(data: bytes, name: str) -> list[dict[str, object]]:
    """The rows of a register file (XLSX: its first sheet; otherwise CSV in UTF-8 or GB18030) as dicts."""
    rows = _xlsx_rows(data, name) if data.startswith(b"PK") else _csv_rows(data)
    header_at = next((i for i, row in enumerate(rows[:10]) if "编号" in [_text(v) for v in row]), None)
    if header_at is None:
        raise InvalidInput(name, f"不是依申请公开台账：前 10 行中没有表头（应含 {'、'.join(COLUMNS)}）")
    header = [_text(v) for v in rows[header_at]]
    missing = [c for c in COLUMNS[:5] if c not in header]
    if missing:
        raise InvalidInput(name, f"台账缺少列：{'、'.join(missing)}")
    return [dict(zip(header, row)) for row in rows[header_at + 1 :]]


def _csv_rows(data: bytes) -> list[list[object]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        text = data.decode("utf-8", errors="replace")
    return [list(row) for row in csv.reader(io.StringIO(text))]


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _xlsx_rows(data: bytes, name: str) -> list[list[object]]:
    """The first sheet's values, read from its XML with lxml: five times faster than openpyxl's read-only
    mode on a 10,000-case register. Dates come as Excel serial numbers, which ``_date`` reads."""
    from lxml import etree  # only for an XLSX register

    from ..read.common import open_zip, read_member  # the zip-bomb and size guards every reader uses

    archive = open_zip(data, name, "Excel")
    try:
        book = etree.fromstring(read_member(archive, "xl/workbook.xml", name, "Excel"))
        first = book.find(f"{_MAIN}sheets/{_MAIN}sheet")
        rels = etree.fromstring(read_member(archive, "xl/_rels/workbook.xml.rels", name, "Excel"))
        if first is None:
            raise CorruptFile(name, "Excel 文件没有工作表")
        target = next(r.get("Target") for r in rels if r.get("Id") == first.get(f"{_REL}id"))
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        shared = _shared_strings(archive, name)
        sheet = read_member(archive, path, name, "Excel")
    except (etree.XMLSyntaxError, StopIteration, TypeError) as exc:
        raise CorruptFile(name, f"Excel 文件已损坏（{type(exc).__name__}）") from None
    rows: list[list[object]] = []
    for _, row in etree.iterparse(io.BytesIO(sheet), tag=f"{_MAIN}row"):
        values: list[object] = []
        for cell in row.iterchildren(f"{_MAIN}c"):
            column = _column(cell.get("r"), len(values))
            values += [None] * (column - len(values))
            values.append(_value(cell, shared))
        rows.append(values)
        row.clear()
    return rows


def _shared_strings(archive, name: str) -> list[str]:
    from lxml import etree  # as above

    from ..read.common import read_member  # as above

    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = etree.fromstring(read_member(archive, "xl/sharedStrings.xml", name, "Excel"))
    return ["".join(item.itertext(f"{_MAIN}t")) for item in root.iterchildren(f"{_MAIN}si")]


def _column(ref: str | None, default: int) -> int:
    if not ref:
        return default
    n = 0
    for ch in ref:
        if ch.isdigit():
            break
        n = n * 26 + ord(ch) - 64
    return n - 1


def _value(cell, shared: list[str]) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(cell.itertext(f"{_MAIN}t"))
    v = cell.findtext(f"{_MAIN}v")
    if v is None:
        return None
    if kind == "s":
        return shared[int(v)]
    if kind == "n":
        number = float(v)
        return int(number) if number.is_integer() else number
    return v  # str (a formula's text), b, e: as written


def build_register(template: Template = "2021") -> bytes:
    """An empty register (XLSX) with the columns, drop-down lists of the format's names, and date checks."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    ws = book.active
    ws.title = "台账"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="D9D9D9")
    options = book.create_sheet("选项")
    applicants, results = list(APPLICANTS), list(result_names(template))
    for i, name in enumerate(applicants, 1):
        options.cell(i, 1, name)
    for i, name in enumerate(results, 1):
        options.cell(i, 2, name)
    options.sheet_state = "hidden"
    last = 2000
    checks = (
        ("C", DataValidation(type="list", formula1=f"'选项'!$A$1:$A${len(applicants)}"), "请从下拉列表选择申请人类型"),
        ("E", DataValidation(type="list", formula1=f"'选项'!$B$1:$B${len(results)}"), "请从下拉列表选择办理结果"),
        ("F", DataValidation(type="list", formula1='"是,否"'), "是否延期：是 或 否"),
        ("B", DataValidation(type="date", operator="greaterThan", formula1="36526"), "请填写日期，如 2025-03-01"),
        ("D", DataValidation(type="date", operator="greaterThan", formula1="36526"), "请填写日期，如 2025-03-20"),
        ("G", DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0"), "收费金额（元），可带小数"),
    )
    for column, dv, message in checks:
        dv.allow_blank, dv.showErrorMessage, dv.showInputMessage = True, True, True
        dv.error = dv.prompt = message
        ws.add_data_validation(dv)
        dv.add(f"{column}2:{column}{last}")
        if column in "BD":
            for row in range(2, last + 1):
                ws[f"{column}{row}"].number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGH", (14, 12, 14, 12, 44, 10, 10, 30)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
