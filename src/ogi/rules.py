"""The audit rule catalogue (spec §6), declared as data: adding a rule is one entry plus its check.

Identities are key templates expanded over columns or groups; other rules name a check function in
``audit.py``. Ids are exactly the spec's. ``docs/rules.md`` is generated from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from .forms import T3_COLUMNS, T4_GROUPS
from .model import Finding, Severity

ERROR, WARNING, INFO = Severity.error, Severity.warning, Severity.info


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str  # Chinese, for reviewers
    title_en: str
    description: str  # what is checked, in Chinese
    needs_previous: bool = False  # cross-year: needs the organ's previous report
    scope: str = "report"  # report | corpus (checked by the corpus, issue #4)


@dataclass(frozen=True, slots=True)
class Identity:
    """``sum(left) == sum(right)`` for each value of ``{x}`` in ``over``; keys are templates."""

    rule: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    over: tuple[str, ...]
    left_label: str
    right_label: str


RULES: tuple[Rule, ...] = (
    Rule("T3-BALANCE", ERROR, "申请数量勾稽关系不平", "application balance broken",
         "每列：本年新收 + 上年结转 = 办理结果总计 + 结转下年度继续办理"),
    Rule("T3-TOTAL", ERROR, "办理结果总计与分项之和不符", "result total != sum of results",
         "每列：(七)总计 = (一)至(六)各项之和"),
    Rule("T3-COLUMNS", ERROR, "总计列与各类申请人之和不符", "total column != sum of applicants",
         "每行：总计 = 自然人 + 五类法人或其他组织之和"),
    Rule("T4-TOTAL", ERROR, "复议诉讼总计与分项之和不符", "review/suit total != sum",
         "行政复议、未经复议直接起诉、复议后起诉各组：总计 = 维持 + 纠正 + 其他 + 尚未审结"),
    Rule("CELL-TYPE", ERROR, "单元格内容不合规", "cell content invalid",
         "数量为非负整数，金额为数字；空白单元格单独提示"),
    Rule("FORMAT-YEAR", ERROR, "报告格式与年度不符", "format does not match the year",
         "2019、2020年度报告用2019版格式，2021年度起用2021版格式"),
    Rule("FORMAT-COMPLETE", ERROR, "报告结构不完整或不规范", "report structure incomplete",
         "六个部分齐全且顺序正确、标题规范；各表行列齐全；多出的行列单独列出"),
    Rule("TEXT-TABLE", WARNING, "正文数字与表格不一致", "text contradicts the tables",
         "正文中所述申请数、复议诉讼数等与表格数据一致"),
    Rule("FEES-STATED", WARNING, "未说明信息处理费收取情况", "processing fees not stated",
         "2021年度起，第六部分应说明信息处理费的收取情况（金额或未收取）"),
    Rule("DEADLINE", WARNING, "报告发布逾期", "published late",
         "部门报告应于次年1月31日前发布，本级政府报告应于次年3月31日前发布"),
    Rule("XYEAR-CARRY", ERROR, "上年结转与上年报告不一致", "carried-in != last year's carried-out",
         "本年上年结转 = 上年报告的结转下年度继续办理（逐列）", needs_previous=True),
    Rule("XYEAR-IN-FORCE", WARNING, "现行有效件数与上年不衔接", "in-force count does not follow",
         "2021版：现行有效件数 ≈ 上年现行有效件数 + 本年制发 − 本年废止", needs_previous=True),
    Rule("XYEAR-ITEMS", WARNING, "事项数量与上年不衔接", "item counts do not follow",
         "2019版：下年上一年项目数量 ≈ 本年上一年项目数量 + 本年增/减", needs_previous=True),
    Rule("XYEAR-COPY", WARNING, "内容与上年高度重复", "text largely copied",
         "第五部分（或全文叙述）与上年报告重复超过一半；同年不同机关报告近乎相同", needs_previous=True,
         scope="corpus"),
    Rule("OUTLIER", INFO, "数值异常", "implausible value",
         "数值明显不合理（如以万元计的金额达数十万、同比变化数量级）", scope="corpus"),
)
RULE_BY_ID = {r.id: r for r in RULES}

_T3 = tuple(c.key for c in T3_COLUMNS)
IDENTITIES: tuple[Identity, ...] = (
    Identity("T3-BALANCE", ("t3.new.{x}", "t3.carried_in.{x}"), ("t3.total.{x}", "t3.carried_out.{x}"), _T3,
             "本年新收+上年结转", "总计+结转下年度"),
    Identity("T4-TOTAL", ("t4.{x}.total",), ("t4.{x}.upheld", "t4.{x}.corrected", "t4.{x}.other", "t4.{x}.pending"),
             tuple(g.key for g in T4_GROUPS), "总计", "维持+纠正+其他+尚未审结"),
)


def finding(rule: str, keys: list[str], message: str, expected=None, found=None, message_en: str = "",
            severity: Severity | None = None) -> Finding:
    """A finding of a catalogue rule: its severity and English title unless given."""
    spec = RULE_BY_ID[rule]
    return Finding(
        rule=rule, severity=severity or spec.severity, keys=keys, message=message,
        message_en=message_en or spec.title_en,
        expected=None if expected is None else str(expected), found=None if found is None else str(found),
    )
