"""A format, an organ, a year and prefills → the XLSX template an organ fills in (issue #11 item 1).

Sheets: 封面 (organ, year, title, date) · 表二 · 表三 · 表四 in the official layout (``grid.tables``: merged
heads and row labels, locked; input cells unlocked and coloured, with data validation) · 正文 (the six
sections under their required headings) · 核对 (each table identity of ``rules.IDENTITIES`` as an Excel
formula, recalculated as the writer types, in Excel and WPS alike, without macros) · ``ogi`` (very hidden:
where every cell key and text lives, so ``workbook.read_workbook`` reads the filled file back exactly).

A prefilled cell (``prefill.Prefill``) is green and carries a comment saying where its value came from;
it stays editable like every input cell.
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .. import forms
from .. import grid as g
from ..model import Template
from ..rules import IDENTITIES
from .draft import MAP_SHEET, MARKER, VERSION, Draft, text_slots
from .prefill import Prefill

TABLE_SHEETS = {2: "表二", 3: "表三", 4: "表四"}
TABLE_TITLES = {
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
}
TEXT_SHEET, CHECK_SHEET, COVER_SHEET = "正文", "核对", "封面"
_FIRST_ROW = 3  # the grid starts under the sheet's title and a line of guidance
COVER_FIELDS = (
    ("meta.organ", "机关名称"),
    ("meta.year", "报告年度"),
    ("meta.title", "报告标题"),
    ("meta.published", "发布日期"),
    ("meta.index_no", "索引号"),
    ("meta.is_government", "本级人民政府的年度报告（是/否）"),
)

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # yellow: type here
_PREFILL_FILL = PatternFill("solid", fgColor="E2EFDA")  # green: filled in for you, see the comment
_BAD_FILL = PatternFill("solid", fgColor="F8CBAD")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
_OPEN = Protection(locked=False)


def build_template(draft: Draft) -> bytes:
    """The workbook of ``draft`` as XLSX bytes."""
    book = Workbook()
    book.remove(book.active)
    places: list[tuple[str, str, str]] = []  # (key, sheet, coordinate)
    _cover(book, draft, places)
    positions: dict[str, str] = {}
    for number, table in g.tables(draft.template, draft.cells).items():
        positions.update(_table_sheet(book, number, table, draft, places))
    _text_sheet(book, draft, places)
    _check_sheet(book, draft, positions)
    _map_sheet(book, draft.template, places)
    book.calculation.fullCalcOnLoad = True  # Excel and WPS compute the checks when the file opens
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cover(book: Workbook, draft: Draft, places: list) -> None:
    ws = book.create_sheet(COVER_SHEET)
    meta = draft.meta
    edition = "2021版（国办公开办函〔2021〕30号）" if draft.template == "2021" else "2019版（国办公开办函〔2019〕60号）"
    ws["A1"] = "政府信息公开工作年度报告 编制模板"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"格式：{edition}。黄色单元格填写，绿色单元格已预填（批注说明来源，可修改）；“核对”表随填随查勾稽关系。"
    values = {
        "meta.organ": meta.organ,
        "meta.year": meta.year,
        "meta.title": meta.title or f"{meta.organ or ''}{meta.year or ''}年政府信息公开工作年度报告",
        "meta.published": meta.published,
        "meta.index_no": meta.index_no,
        "meta.is_government": "是" if meta.is_government else "否",
    }
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(yes_no)
    for i, (key, label) in enumerate(COVER_FIELDS, 4):
        ws.cell(i, 1, label).font = Font(bold=True)
        cell = ws.cell(i, 2, values[key])
        cell.fill, cell.protection, cell.border = _INPUT_FILL, _OPEN, _BOX
        if key == "meta.published":
            cell.number_format = "yyyy-mm-dd"
        if key == "meta.is_government":
            yes_no.add(cell.coordinate)
        places.append((key, COVER_SHEET, cell.coordinate))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 34, 60
    ws.protection.sheet = True


def _validations(ws) -> dict[str, DataValidation]:
    count = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    count.error, count.errorTitle, count.prompt = "请填写非负整数（件数）", "数值不合规", "非负整数"
    signed = DataValidation(type="whole", operator="between", formula1="-1000000000", formula2="1000000000")
    signed.error, signed.errorTitle = "请填写整数：增加填正数，减少填负数（如 -5 表示减5）", "数值不合规"
    signed.prompt, signed.allow_blank = "本年增/减：增加填正数，减少填负数", True
    money = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    money.error, money.errorTitle = "请填写非负金额，可带两位小数", "数值不合规"
    kinds = {"count": count, "signed": signed, "money": money}
    for dv in kinds.values():
        dv.showErrorMessage = dv.showInputMessage = True
        ws.add_data_validation(dv)
    return kinds


def money_unit(key: str) -> str:
    """The unit an amount is typed in: 2021's 收费金额 states 万元 in its head; 2019's 采购总金额 states none."""
    return "万元" if key == "t2.fees.amount" else "元"


def _table_sheet(book: Workbook, number: int, table: g.Grid, draft: Draft, places: list) -> dict[str, str]:
    ws = book.create_sheet(TABLE_SHEETS[number])
    ws["A1"] = TABLE_TITLES[number]
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "黄色格填写数字（空白表示未填写，不等于0），绿色格为预填值。"
    kinds = _validations(ws)
    positions = {}
    for r, c, cell in g.place(table):
        row, col = _FIRST_ROW + r, 1 + c
        target = ws.cell(row, col)
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(
                start_row=row, start_column=col, end_row=row + cell.rowspan - 1, end_column=col + cell.colspan - 1
            )
        for dr in range(cell.rowspan):
            for dc in range(cell.colspan):
                ws.cell(row + dr, col + dc).border = _BOX
        if cell.key is None:
            target.value = cell.text.translate(g.FULLWIDTH)
            target.fill = _HEAD_FILL if cell.header else _LABEL_FILL
            target.alignment = _CENTER if cell.header else _LEFT
            continue
        positions[cell.key] = f"'{ws.title}'!{target.coordinate}"
        places.append((cell.key, ws.title, target.coordinate))
        _input_cell(target, cell.key, draft.prefills.get(cell.key), kinds)
    _widths(ws, number)
    ws.protection.sheet = True
    ws.protection.formatCells = False  # the writer may still widen a column or change a font
    return positions


def _input_cell(target, key: str, prefill: Prefill | None, kinds: dict[str, DataValidation]) -> None:
    column = forms.column_of(key)
    target.protection, target.alignment, target.fill = _OPEN, _CENTER, _INPUT_FILL
    if column.money:
        kinds["money"].add(target.coordinate)
        target.number_format = "0.00"
        target.comment = Comment(f"金额，单位：{money_unit(key)}；可带两位小数", "ogi")
    else:
        kinds["signed" if column.signed else "count"].add(target.coordinate)
        target.number_format = "0"
    if prefill is not None:
        target.value = prefill.value
        target.fill = _PREFILL_FILL
        target.comment = Comment(prefill.note, "ogi", width=320, height=90)


def _widths(ws, number: int) -> None:
    widths = {2: (26, 16, 16, 16), 3: (6, 8, 44) + (9,) * 7, 4: (8,) * 15}[number]
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _text_sheet(book: Workbook, draft: Draft, places: list) -> None:
    ws = book.create_sheet(TEXT_SHEET)
    ws.append(["标题", "内容", "填写提示"])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), _HEAD_FILL
    hints = {
        "s2": "表二之外的说明（可不填）",
        "s3": "表三之外的说明（可不填）",
        "s4": "表四之外的说明（可不填）",
        "s6": "2021年度起须说明信息处理费收取情况（收取金额，或未收取）" if draft.template == "2021" else "",
    }
    for i, (key, heading) in enumerate(text_slots(draft.template), 2):
        ws.cell(i, 1, heading).alignment = _TOP_LEFT
        body = ws.cell(i, 2, draft.texts.get(key) or None)
        body.alignment, body.protection, body.fill = _TOP_LEFT, _OPEN, _INPUT_FILL
        ws.cell(i, 3, hints.get(key, "")).alignment = _TOP_LEFT
        ws.row_dimensions[i].height = 90
        places.append((key, TEXT_SHEET, body.coordinate))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 30, 90, 30
    ws.protection.sheet = True


def _check_sheet(book: Workbook, draft: Draft, positions: dict[str, str]) -> None:
    """One row per identity instance: both sides summed, and 相符 / 不符 / 未填完 (a blank is not a zero)."""
    ws = book.create_sheet(CHECK_SHEET)
    ws["A1"] = "勾稽关系核对（随填随算）：不符"
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["规则", "位置", "左边", "左边之和", "右边", "右边之和", "结果"])
    for cell in ws[2]:
        cell.font, cell.fill = Font(bold=True), _HEAD_FILL
    rows = forms.t3_rows(draft.template, draft.cells)
    results = forms.result_rows(rows)
    for identity in IDENTITIES:
        for x in identity.along([r.key for r in rows]):
            left, right = identity.expand(x, results)
            n = ws.max_row + 1
            refs = [positions[k] for k in left + right]
            ws.append(
                [
                    identity.rule,
                    identity.where(x),
                    identity.left_label,
                    f"=SUM({','.join(positions[k] for k in left)})",
                    identity.right_label,
                    f"=SUM({','.join(positions[k] for k in right)})",
                    f'=IF(COUNT({",".join(refs)})<{len(refs)},"未填完",IF(D{n}=F{n},"相符",'
                    f'"不符：应为"&D{n}&"，实为"&F{n}))',
                ]
            )
    last = ws.max_row
    ws["B1"] = f'=COUNTIF(G3:G{last},"不符*")&" 处；未填完 "&COUNTIF(G3:G{last},"未填完")&" 处"'
    ws.conditional_formatting.add(f"A3:G{last}", FormulaRule(formula=['LEFT($G3,2)="不符"'], fill=_BAD_FILL))
    for col, width in zip("ABCDEFG", (14, 34, 20, 10, 24, 10, 30)):
        ws.column_dimensions[col].width = width
    ws.protection.sheet = True


def _map_sheet(book: Workbook, template: Template, places: list[tuple[str, str, str]]) -> None:
    ws = book.create_sheet(MAP_SHEET)
    ws.append([MARKER, VERSION])
    ws.append(["template", template])
    for place in places:
        ws.append(list(place))
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
