"""The two official formats (2019: 国办公开办函〔2019〕60号; 2021: 国办公开办函〔2021〕30号) as data.

Spec §2–§4. Every module takes cell keys, labels, and section names from here: the extractor uses the
``cores`` to recognise row labels, the renderer prints ``label``, the store and exports use the keys.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import State, Template

TEMPLATES: tuple[Template, ...] = ("2019", "2021")


def template_for(year: int) -> Template:
    """The format a report on ``year`` must use (spec §3): 2019 for 2019–2020, 2021 from 2021 on."""
    return "2019" if year <= 2020 else "2021"


# An area's administrative committee acting as its government (新区、开发区、实验区 …): due like a government.
_AREA_GOVERNMENT = re.compile(r"(?:新区|开发区|实验区|试验区|高新区|示范区)(?:管委会|管理委员会)?$")


def due_as_government(name: str | None, kind: str | None = None, governs: bool | None = None) -> bool:
    """Whether an organ reports as a government (3月31日) rather than as a department (1月31日): a 人民政府, or
    the 管委会 of a 新区/开发区/实验区 that governs its area. The organ's kind decides, unless a reviewer said
    otherwise for the organ (``governs``, ``Corpus.set_organ_deadline``) or for one report
    (``Corpus.set_meta(…, "government", …)``)."""
    if governs is not None:
        return governs
    name = name or ""
    if kind == "人民政府" or name.endswith("人民政府"):
        return True
    return kind in ("管委会", None) and bool(_AREA_GOVERNMENT.search(name))


def reporting_year(today: dt.date | None = None) -> int:
    """The year whose reports are in season: last calendar year (reports of year Y are due by 1月31日 or
    3月31日 of Y+1 and checked through Y+1). A stray report naming a later year does not change it."""
    return (today or dt.date.today()).year - 1


def deadline(year: int, government: bool) -> dt.date:
    """Spec §6 DEADLINE: 1月31日 of the following year; 3月31日 for a government's own report (第四十九条)."""
    return dt.date(year + 1, 3 if government else 1, 31)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    cores: tuple[str, ...] = ()  # label fragments that identify the column in a header
    money: bool = False
    signed: bool = False  # 本年增/减: may be negative


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    cores: tuple[str, ...]  # distinctive fragments of the label, old and new wording
    group: str = ""  # the merged group label printed to the left (table 3 result rows)


@dataclass(frozen=True, slots=True)
class Block2:
    """One block of table 2 (第二十条第(X)项): a header of columns and the rows under it."""

    item: str  # "(一)", "(五)" …
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class SectionDef:
    number: int
    title: str
    cores: tuple[str, ...]  # any of these in a numbered heading identifies the section
    accepted: tuple[str, ...]  # wordings that count as standard (after removing numbering/years)


SECTIONS: tuple[SectionDef, ...] = (
    SectionDef(1, "总体情况", ("总体情况", "基本情况", "概述", "总体概况"), ("总体情况", "概述")),
    SectionDef(2, "主动公开政府信息情况", ("主动公开",), ("主动公开政府信息情况",)),
    SectionDef(
        3,
        "收到和处理政府信息公开申请情况",
        ("收到和处理", "公开申请", "依申请"),
        ("收到和处理政府信息公开申请情况",),
    ),
    SectionDef(
        4,
        "政府信息公开行政复议、行政诉讼情况",
        ("行政复议", "行政诉讼", "复议"),
        (
            "政府信息公开行政复议行政诉讼情况",
            "因政府信息公开工作被申请行政复议和提起行政诉讼情况",
            "政府信息公开行政复议诉讼情况",
        ),
    ),
    SectionDef(
        5,
        "存在的主要问题及改进情况",
        ("存在的主要问题", "主要问题", "改进情况", "改进措施", "存在问题"),
        ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
    ),
    SectionDef(
        6,
        "其他需要报告的事项",
        ("其他需要报告", "其他事项", "其他需报告"),
        ("其他需要报告的事项",),
    ),
)


_MADE = (
    Column("made", "本年新制作数量", ("新制作", "制作数量")),
    Column("published", "本年新公开数量", ("新公开", "公开数量")),
    Column("total", "对外公开总数量", ("对外公开总数", "公开总数")),
)
_ITEMS_2019 = (
    Column("prev", "上一年项目数量", ("上一年项目", "上年项目")),
    Column("change", "本年增/减", ("增/减", "增减", "本年增"), signed=True),
    Column("decisions", "处理决定数量", ("处理决定",)),
)
_ISSUED = (
    Column("issued", "本年制发件数", ("制发", "发件")),
    Column("repealed", "本年废止件数", ("废止",)),
    Column("in_force", "现行有效件数", ("现行有效", "有效件")),
)
_DECISIONS_2021 = (Column("decisions", "本年处理决定数量", ("处理决定",)),)

T2_2019: tuple[Block2, ...] = (
    Block2(
        "(一)",
        _MADE,
        (
            Row("rules", "规章", ("规章",)),
            Row("normative", "规范性文件", ("规范性文件",)),
        ),
    ),
    Block2(
        "(五)",
        _ITEMS_2019,
        (
            Row("licensing", "行政许可", ("行政许可",)),
            Row("other_services", "其他对外管理服务事项", ("其他对外管理服务", "对外管理服务事项")),
        ),
    ),
    Block2(
        "(六)",
        _ITEMS_2019,
        (
            Row("penalty", "行政处罚", ("行政处罚",)),
            Row("coercion", "行政强制", ("行政强制",)),
        ),
    ),
    Block2("(八)", _ITEMS_2019[:2], (Row("fees", "行政事业性收费", ("行政事业性收费", "事业性收费")),)),
    Block2(
        "(九)",
        (
            Column("count", "采购项目数量", ("采购项目",)),
            Column("amount", "采购总金额", ("采购总金额", "总金额"), money=True),
        ),
        (Row("procurement", "政府集中采购", ("政府集中采购", "集中采购")),),
    ),
)

T2_2021: tuple[Block2, ...] = (
    Block2(
        "(一)",
        _ISSUED,
        (
            Row("rules", "规章", ("规章",)),
            Row("normative", "行政规范性文件", ("规范性文件",)),
        ),
    ),
    Block2("(五)", _DECISIONS_2021, (Row("licensing", "行政许可", ("行政许可",)),)),
    Block2(
        "(六)",
        _DECISIONS_2021,
        (
            Row("penalty", "行政处罚", ("行政处罚",)),
            Row("coercion", "行政强制", ("行政强制",)),
        ),
    ),
    Block2(
        "(八)",
        (Column("amount", "本年收费金额(单位:万元)", ("收费金额",), money=True),),
        (Row("fees", "行政事业性收费", ("行政事业性收费", "事业性收费")),),
    ),
)


T3_COLUMNS: tuple[Column, ...] = (
    Column("natural", "自然人", ("自然人",)),
    Column("commercial", "商业企业", ("商业企业",)),
    Column("research", "科研机构", ("科研机构",)),
    Column("social", "社会公益组织", ("社会公益组织", "公益组织")),
    Column("legal", "法律服务机构", ("法律服务机构",)),
    Column("other", "其他", ("其他",)),
    Column("total", "总计", ("总计", "合计")),
)
T3_APPLICANTS = tuple(c.key for c in T3_COLUMNS[:-1])

_G3 = "三、本年度办理结果"
_DENIED = "(三)不予公开"
_UNABLE = "(四)无法提供"
_REJECTED = "(五)不予处理"
_OTHER = "(六)其他处理"

_T3_HEAD = (
    Row("new", "一、本年新收政府信息公开申请数量", ("本年新收", "新收政府信息公开申请")),
    Row("carried_in", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Row("granted", "(一)予以公开", ("予以公开",), _G3),
    Row("partial", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", ("部分公开",), _G3),
    Row("denied.state_secret", "1.属于国家秘密", ("国家秘密",), _DENIED),
    Row("denied.law_forbidden", "2.其他法律行政法规禁止公开", ("法规禁止公开", "禁止公开"), _DENIED),
    Row("denied.three_safety", "3.危及“三安全一稳定”", ("三安全一稳定", "危及"), _DENIED),
    Row("denied.third_party", "4.保护第三方合法权益", ("第三方合法权益", "第三方"), _DENIED),
    Row("denied.internal", "5.属于三类内部事务信息", ("内部事务",), _DENIED),
    Row("denied.process", "6.属于四类过程性信息", ("过程性",), _DENIED),
    Row("denied.enforcement_file", "7.属于行政执法案卷", ("执法案卷",), _DENIED),
    Row("denied.query", "8.属于行政查询事项", ("查询事项",), _DENIED),
    Row("unable.not_held", "1.本机关不掌握相关政府信息", ("不掌握",), _UNABLE),
    Row("unable.needs_creation", "2.没有现成信息需要另行制作", ("另行制作", "没有现成"), _UNABLE),
    Row("unable.unclear", "3.补正后申请内容仍不明确", ("仍不明确", "不明确"), _UNABLE),
    Row("rejected.petition", "1.信访举报投诉类申请", ("信访举报", "信访"), _REJECTED),
    Row("rejected.duplicate", "2.重复申请", ("重复申请",), _REJECTED),
    Row("rejected.publication", "3.要求提供公开出版物", ("出版物",), _REJECTED),
    Row("rejected.excessive", "4.无正当理由大量反复申请", ("大量反复",), _REJECTED),
    Row("rejected.confirm", "5.要求行政机关确认或重新出具已获取信息", ("重新出具", "确认或重新"), _REJECTED),
)
_T3_TAIL = (
    Row("total", "(七)总计", ("总计", "合计"), _G3),
    Row("carried_out", "四、结转下年度继续办理", ("结转下年度", "继续办理")),
)
ROW_OTHER_2019 = Row("other", "(六)其他处理", ("其他处理",), _G3)
ROWS_OTHER_2021 = (
    Row(
        "other.no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正", "不补正"),
        _OTHER,
    ),
    Row(
        "other.no_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("缴纳费用", "收费通知"),
        _OTHER,
    ),
    Row("other.misc", "3.其他", ("其他",), _OTHER),
)
T3_ROWS = {
    "2019": _T3_HEAD + (ROW_OTHER_2019,) + _T3_TAIL,
    "2021": _T3_HEAD + ROWS_OTHER_2021 + _T3_TAIL,
}
# Rows (一)…(六) whose sum is (七)总计 (T3-TOTAL); granted…other.* in either format.
_NON_RESULT_ROWS = ("new", "carried_in", "total", "carried_out")
T3_RESULT_ROWS = {t: tuple(r.key for r in rows if r.key not in _NON_RESULT_ROWS) for t, rows in T3_ROWS.items()}


T4_GROUPS: tuple[Column, ...] = (
    Column("review", "行政复议", ("行政复议",)),
    Column("suit_direct", "行政诉讼·未经复议直接起诉", ("未经复议", "直接起诉")),
    Column("suit_after", "行政诉讼·复议后起诉", ("复议后起诉",)),
)
T4_COLUMNS: tuple[Column, ...] = (
    Column("upheld", "结果维持", ("维持",)),
    Column("corrected", "结果纠正", ("纠正",)),
    Column("other", "其他结果", ("其他",)),
    Column("pending", "尚未审结", ("尚未", "审结")),
    Column("total", "总计", ("总计", "合计")),
)
T4_KEYS = tuple(f"t4.{g.key}.{c.key}" for g in T4_GROUPS for c in T4_COLUMNS)


def t2_blocks(template: Template) -> tuple[Block2, ...]:
    return T2_2019 if template == "2019" else T2_2021


def t2_keys(template: Template) -> tuple[str, ...]:
    return tuple(f"t2.{r.key}.{c.key}" for b in t2_blocks(template) for r in b.rows for c in b.columns)


# The seven keys of each table-3 row of either format (the six applicants, then the total). The keys of
# both formats are these very strings, so a dict built from one finds them by identity.
T3_ROW_KEYS: dict[str, tuple[str, ...]] = {
    r.key: tuple(f"t3.{r.key}.{c.key}" for c in T3_COLUMNS) for t in TEMPLATES for r in T3_ROWS[t]
}


# Rows of the other format's （六） block, which a report may use instead of its own (spec §4).
_OTHER_FORMAT_ROWS = {"2019": ROWS_OTHER_2021, "2021": (ROW_OTHER_2019,)}


def t3_rows(template: Template, cells: Mapping[str, Any]) -> tuple[Row, ...]:
    """The ONE rule for the rows a report's table 3 has (spec §4), for audit, display and export alike.

    The format's own rows, plus any row of the other format's （六） block that the report fills. A 2021
    report that writes the 2019 single （六）其他处理 row and not the split rows keeps the single row in
    their place; ``cells`` maps keys to cells (anything with a ``state``). A report with exactly its
    format's rows gets ``T3_ROWS[template]`` itself, so callers can keep what they derive from it per format.
    """
    own = T3_ROWS[template]
    extra = [r for r in _OTHER_FORMAT_ROWS[template] if any(k in cells for k in T3_ROW_KEYS[r.key])]
    if not extra:
        return own
    rows = own[:-2] + tuple(extra) + own[-2:]
    if template == "2021" and not _filled(cells, "other.no_correction"):
        rows = tuple(r for r in rows if not r.key.startswith("other."))
    return rows


def t3_result_rows(template: Template, cells: Mapping[str, Any]) -> tuple[str, ...]:
    """Keys of the rows (一)…(六) a report has, whose sum is (七)总计 (T3-TOTAL)."""
    return result_rows(t3_rows(template, cells))


def result_rows(rows: tuple[Row, ...]) -> tuple[str, ...]:
    """Keys of the result rows (一)…(六) among table-3 ``rows``."""
    return tuple(r.key for r in rows if r.key not in _NON_RESULT_ROWS)


def _filled(cells: Mapping[str, Any], row: str) -> bool:
    return any((cell := cells.get(k)) is not None and cell.state is not State.missing for k in T3_ROW_KEYS[row])


def t3_keys(template: Template) -> tuple[str, ...]:
    return tuple(k for r in T3_ROWS[template] for k in T3_ROW_KEYS[r.key])


def keys(template: Template) -> tuple[str, ...]:
    """Every canonical cell key of a format, in the official reading order (2019: 194, 2021: 200)."""
    return _KEYS[template]


_KEYS = {t: t2_keys(t) + t3_keys(t) + T4_KEYS for t in TEMPLATES}


def column_of(key: str) -> Column:
    """The column definition behind a key (money / signed / label)."""
    return _COLUMN_OF[key]


def _column_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for t in TEMPLATES:
        for b in t2_blocks(t):
            for r in b.rows:
                for c in b.columns:
                    index[f"t2.{r.key}.{c.key}"] = c
        for k in t3_keys(t):
            index[k] = next(c for c in T3_COLUMNS if c.key == k.rsplit(".", 1)[1])
    for g in T4_GROUPS:
        for c in T4_COLUMNS:
            index[f"t4.{g.key}.{c.key}"] = c
    return index


_COLUMN_OF = _column_index()


def label_of(key: str) -> str:
    """A reviewer-facing Chinese label for a key, e.g. "表三 · 本年新收…申请数量 · 自然人"."""
    return _LABEL_OF.get(key, key)


def _label_index() -> dict[str, str]:
    labels: dict[str, str] = {}
    for t in TEMPLATES:
        for b in t2_blocks(t):
            for r in b.rows:
                for c in b.columns:
                    labels.setdefault(f"t2.{r.key}.{c.key}", f"表二·{r.label}·{c.label}")
        for r in T3_ROWS[t]:
            for c in T3_COLUMNS:
                labels[f"t3.{r.key}.{c.key}"] = f"表三·{r.label.split('(区分')[0]}·{c.label}"
    for g in T4_GROUPS:
        for c in T4_COLUMNS:
            labels[f"t4.{g.key}.{c.key}"] = f"表四·{g.label}·{c.label}"
    return labels


_LABEL_OF = _label_index()
