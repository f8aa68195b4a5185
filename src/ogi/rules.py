"""The audit rule catalogue (spec §6) and the table identities, declared as data, once.

    RULES                    every rule: id, severity, texts, and the name of the function that checks it
    IDENTITIES               the four table identities as key templates; the audit's plan, the extractor's
                             placement checks and the repair solver's constraints are all derived from them
    finding(rule, keys, …)   a Finding of a catalogue rule
    rules_markdown()         the catalogue as Markdown (docs/rules.md is this text)

Ids are exactly the spec's. A single-report rule's check is a name in ``audit.CHECKS``; a cross-year or
corpus rule's is a function of ``crossyear.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from . import forms
from .model import SEVERITY_ZH, Finding, FindingKind, Severity

ERROR, WARNING, INFO = Severity.error, Severity.warning, Severity.info


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str  # Chinese, for reviewers
    title_en: str
    description: str  # what is checked, in Chinese
    check: str  # the function that checks it: a key of audit.CHECKS, or a function of crossyear.py
    needs_previous: bool = False  # cross-year: needs the organ's previous report
    scope: str = "report"  # report | corpus (checked by the corpus, issue #4)

    @property
    def single_report(self) -> bool:
        """Checked by the audit of one report alone (``audit.CHECKS``), not by ``crossyear``."""
        return not self.needs_previous and self.scope == "report"


Axis = Literal["t3.column", "t3.row", "t4.group"]


@dataclass(frozen=True, slots=True)
class Identity:
    """``sum(left) == sum(right)`` for each ``x`` along ``axis``; the keys are templates.

    ``{x}`` is a column of table 3, a row of table 3 or a group of table 4. ``{result}`` stands for every
    result row (一)…(六) the report has (``forms.t3_result_rows``): one such term is many cells.
    """

    rule: str
    axis: Axis
    left: tuple[str, ...]
    right: tuple[str, ...]
    left_label: str
    right_label: str

    def along(self, rows: Sequence[str] = ()) -> tuple[str, ...]:
        """The values of ``{x}``: fixed for columns and groups; for table-3 rows, the report's ``rows``."""
        if self.axis == "t3.column":
            return _T3_COLUMN_KEYS
        return _T4_GROUP_KEYS if self.axis == "t4.group" else tuple(rows)

    def expand(self, x: str, results: Sequence[str] = ()) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The cell keys of both sides for one ``x``, ``{result}`` repeated over ``results``."""
        return _expand(self.left, x, results), _expand(self.right, x, results)

    def where(self, x: str) -> str:
        """Where in the tables one instance lies, for a reviewer: 表三“自然人”列, 表三“予以公开”行, 表四“行政复议”."""
        if self.axis == "t3.column":
            return f"表三“{_T3_COLUMN_LABELS[x]}”列"
        if self.axis == "t4.group":
            return f"表四“{_T4_GROUP_LABELS[x]}”"
        return f"表三“{forms.label_of(f't3.{x}.total').split('·')[1]}”行"


def _expand(templates: tuple[str, ...], x: str, results: Sequence[str]) -> tuple[str, ...]:
    return tuple(k.format(x=x, result=r) for k in templates for r in (results if "{result}" in k else ("",)))


_T3_COLUMN_KEYS = tuple(c.key for c in forms.T3_COLUMNS)
_T3_COLUMN_LABELS = {c.key: c.label for c in forms.T3_COLUMNS}
_T4_GROUP_KEYS = tuple(g.key for g in forms.T4_GROUPS)
_T4_GROUP_LABELS = {g.key: g.label for g in forms.T4_GROUPS}


RULES: tuple[Rule, ...] = (
    Rule(
        "T3-BALANCE",
        ERROR,
        "申请数量勾稽关系不平",
        "application balance broken",
        "每列：本年新收 + 上年结转 = 办理结果总计 + 结转下年度继续办理",
        "check_identities",
    ),
    Rule(
        "T3-TOTAL",
        ERROR,
        "办理结果总计与分项之和不符",
        "result total != sum of results",
        "每列：(七)总计 = (一)至(六)各项之和",
        "check_identities",
    ),
    Rule(
        "T3-COLUMNS",
        ERROR,
        "总计列与各类申请人之和不符",
        "total column != sum of applicants",
        "每行：总计 = 自然人 + 五类法人或其他组织之和",
        "check_identities",
    ),
    Rule(
        "T4-TOTAL",
        ERROR,
        "复议诉讼总计与分项之和不符",
        "review/suit total != sum",
        "行政复议、未经复议直接起诉、复议后起诉各组：总计 = 维持 + 纠正 + 其他 + 尚未审结",
        "check_identities",
    ),
    Rule(
        "CELL-TYPE",
        ERROR,
        "单元格内容不合规",
        "cell content invalid",
        "数量为非负整数，金额为数字；空白单元格单独提示",
        "check_cell_types",
    ),
    Rule(
        "FORMAT-YEAR",
        ERROR,
        "报告格式与年度不符",
        "format does not match the year",
        "2019、2020年度报告用2019版格式，2021年度起用2021版格式",
        "check_format_year",
    ),
    Rule(
        "FORMAT-COMPLETE",
        ERROR,
        "报告结构不完整或不规范",
        "report structure incomplete",
        "六个部分齐全且顺序正确、标题规范；各表行列齐全；多出的行列单独列出",
        "check_format_complete",
    ),
    Rule(
        "TEXT-TABLE",
        WARNING,
        "正文数字与表格不一致",
        "text contradicts the tables",
        "正文中所述申请数、复议诉讼数等与表格数据一致",
        "check_text_table",
    ),
    Rule(
        "FEES-STATED",
        WARNING,
        "未说明信息处理费收取情况",
        "processing fees not stated",
        "2021年度起，第六部分应说明信息处理费的收取情况（金额或未收取）",
        "check_fees_stated",
    ),
    Rule(
        "DEADLINE",
        WARNING,
        "报告发布逾期",
        "published late",
        "部门报告应于次年1月31日前发布，本级政府报告应于次年3月31日前发布",
        "check_deadline",
    ),
    Rule(
        "XYEAR-CARRY",
        ERROR,
        "上年结转与上年报告不一致",
        "carried-in != last year's carried-out",
        "本年上年结转 = 上年报告的结转下年度继续办理（逐列）",
        "check_carry",
        needs_previous=True,
    ),
    Rule(
        "XYEAR-IN-FORCE",
        WARNING,
        "现行有效件数与上年不衔接",
        "in-force count does not follow",
        "2021版：现行有效件数 ≈ 上年现行有效件数 + 本年制发 − 本年废止",
        "check_in_force",
        needs_previous=True,
    ),
    Rule(
        "XYEAR-ITEMS",
        WARNING,
        "事项数量与上年不衔接",
        "item counts do not follow",
        "2019版：下年上一年项目数量 ≈ 本年上一年项目数量 + 本年增/减",
        "check_items",
        needs_previous=True,
    ),
    Rule(
        "XYEAR-COPY",
        WARNING,
        "内容与上年高度重复",
        "text largely copied",
        "第五部分（或全文叙述）与上年报告重复超过一半；同年不同机关报告近乎相同",
        "check_copy",
        needs_previous=True,
        scope="corpus",
    ),
    Rule(
        "OUTLIER",
        INFO,
        "数值异常",
        "implausible value",
        "数值明显不合理（如以万元计的金额达数十万、同比变化数量级）",
        "check_outlier",
        scope="corpus",
    ),
)
RULE_BY_ID = {r.id: r for r in RULES}

# In the order the audit reports them. T3-COLUMNS runs along the rows a report has, so the audit judges
# a row only when one of its applicant cells is there.
IDENTITIES: tuple[Identity, ...] = (
    Identity(
        "T3-BALANCE",
        "t3.column",
        ("t3.new.{x}", "t3.carried_in.{x}"),
        ("t3.total.{x}", "t3.carried_out.{x}"),
        "本年新收+上年结转",
        "总计+结转下年度",
    ),
    Identity(
        "T4-TOTAL",
        "t4.group",
        ("t4.{x}.total",),
        tuple(f"t4.{{x}}.{c.key}" for c in forms.T4_COLUMNS[:-1]),
        "总计",
        "维持+纠正+其他+尚未审结",
    ),
    Identity("T3-TOTAL", "t3.column", ("t3.total.{x}",), ("t3.{result}.{x}",), "(七)总计", "(一)至(六)之和"),
    Identity(
        "T3-COLUMNS",
        "t3.row",
        ("t3.{x}.total",),
        tuple(f"t3.{{x}}.{a}" for a in forms.T3_APPLICANTS),
        "总计",
        "六类申请人之和",
    ),
)
IDENTITY_BY_RULE = {i.rule: i for i in IDENTITIES}

# What an identity checks, for the title of its "not checked" (info) finding: such a finding must not say
# "不平" when blank cells kept the check from being made.
_CHECKED = {
    "T3-BALANCE": "申请数量勾稽关系",
    "T3-TOTAL": "办理结果总计与分项之和",
    "T3-COLUMNS": "总计列与各类申请人之和",
    "T4-TOTAL": "复议诉讼总计与分项之和",
}


def checked_subject(rule: str) -> str:
    """What a rule checks, without saying whether it holds ("申请数量勾稽关系")."""
    return _CHECKED.get(rule) or (RULE_BY_ID[rule].title if rule in RULE_BY_ID else rule)


def finding_title(rule: str, severity: str) -> str:
    """The Chinese title a reviewer reads for a finding: the rule's, or for an identity that blank cells kept
    from being checked, that it was not checked."""
    spec = RULE_BY_ID.get(rule)
    if spec is None:
        return rule
    if severity == Severity.info.value and spec.severity is not Severity.info and rule in _CHECKED:
        return f"{_CHECKED[rule]}未核对（有空白或缺失单元格）"
    return spec.title


def stated_numbers(rule: str, expected: str | None, found: str | None) -> str | None:
    """The two numbers of a finding in words that do not take sides: an identity says "合计 X，分项之和 Y" (which
    side is wrong is not known); a rule that knows the right value says "应为 X，实为 Y"."""
    if not any(ch.isdigit() for ch in f"{expected or ''}{found or ''}"):
        return None  # words, not numbers ("信息处理费收取情况"): the message says it
    if (identity := IDENTITY_BY_RULE.get(rule)) is not None:
        return f"{identity.left_label} {expected or '—'}，{identity.right_label} {found or '—'}"
    return f"应为 {expected or '—'}，实为 {found or '—'}"


def rule_label(rule: str) -> str:
    """A rule as filters and chart axes name it: the Chinese title with the code beside it."""
    spec = RULE_BY_ID.get(rule)
    return f"{spec.title}（{rule}）" if spec else rule


def finding(
    rule: str,
    keys: list[str],
    message: str,
    expected=None,
    found=None,
    message_en: str = "",
    severity: Severity | None = None,
    kind: FindingKind = "finding",
) -> Finding:
    """A finding of a catalogue rule: its severity and English title unless given. ``kind="reading"``: a
    reading problem under the rule it kept from being checked, not a finding against the report."""
    spec = RULE_BY_ID[rule]
    return Finding(
        rule=rule,
        severity=severity or spec.severity,
        kind=kind,
        keys=keys,
        message=message,
        message_en=message_en or spec.title_en,
        expected=None if expected is None else str(expected),
        found=None if found is None else str(found),
    )


def rules_markdown() -> str:
    """The rule catalogue as a Markdown table (docs/rules.md is this text; a test keeps it current)."""
    lines = [
        "# 审核规则 (audit rules)",
        "",
        "Generated from `src/ogi/rules.py` by `ogi rules --markdown`.",
        "",
        "| 规则 | 级别 | 名称 | 检查内容 | title | check |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES:
        home = "audit" if r.single_report else "crossyear"
        lines.append(
            f"| `{r.id}` | {SEVERITY_ZH[r.severity]} | {r.title} | {r.description} | {r.title_en} "
            f"| `{home}.{r.check}` |"
        )
    return "\n".join(lines) + "\n"
