"""Dashboards (ECharts options built here, drawn by the page) and coverage of an organ registry.

Every chart's numbers are also a table of the page, so each chart downloads as CSV/XLSX
(``/export/dashboard.csv?table=by_year``) and is in the JSON of ``/api/dashboard``.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Query, Request

from .. import forms
from ..corpus import Filters
from ..corpus.query import LEVEL_ZH
from ..figures import rate
from ..rules import RULE_BY_ID, rule_label
from .session import CorpusDep, User, reader
from .web import FiltersDep, table, view

router = APIRouter()
OUTCOMES = (
    ("granted", "予以公开"),
    ("partial", "部分公开"),
    ("denied", "不予公开"),
    ("unable", "无法提供"),
    ("rejected", "不予处理"),
    ("other", "其他处理"),
)
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
SEVERITY_COLOR = {"error": "#c62828", "warning": "#f0a30a", "info": "#5b8bd0"}
BINS = [f"{i * 10}–{i * 10 + 10}%" for i in range(10)] + ["100%"]


def _bin(share: float) -> int:
    return 10 if share >= 1 else max(0, int(share * 10))


def _across(option: dict) -> dict:
    """The same chart with horizontal bars: long Chinese labels (a rule's title and code) read on the left."""
    labels = option["xAxis"]["data"]
    option["xAxis"] = {"type": "value"}
    option["yAxis"] = {"type": "category", "data": labels, "inverse": True, "axisLabel": {"interval": 0}}
    option["grid"] = dict(option["grid"], left=10, containLabel=True)
    return option


def _chart(
    title: str, x: list, series: list[dict], *, percent_axis: bool = False, second_axis: str | None = None
) -> dict:
    """An ECharts option: category x axis, one or two value axes, legend, tooltip."""
    y = [{"type": "value", "name": "%" if percent_axis else ""}]
    empty = not any(v for s in series for v in s["data"] if v)
    if second_axis:
        y.append({"type": "value", "name": second_axis, "axisLabel": {"formatter": "{value}%"}})
    return {
        "title": {
            "text": title,
            "left": "center",
            "textStyle": {"fontSize": 14},
            "subtext": "暂无数据" if empty else "",
            "subtextStyle": {"fontSize": 13},
        },
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 50, "right": 50 if second_axis else 20, "top": 40, "bottom": 60},
        "xAxis": {"type": "category", "data": x, "axisLabel": {"interval": 0, "rotate": 30 if len(x) > 4 else 0}},
        "yAxis": y,
        "series": series,
        "animation": False,
    }


def _bar(name: str, values: list, stack: str | None = None) -> dict:
    return {"name": name, "type": "bar", "data": values} | ({"stack": stack} if stack else {})


def chart_by_year(rows: list[dict]) -> dict:
    years = [str(r["year"]) for r in rows]
    series = [_bar(label, [r[k] or 0 for r in rows], "outcome") for k, label in OUTCOMES]
    series.append({"name": "本年新收申请", "type": "line", "data": [r["new"] or 0 for r in rows]})
    return _chart("各年度申请数量与办理结果", years, series)


def distributions(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Per-report 公开率 and 复议/诉讼纠错率, counted in 10% bins (reports with a zero base are left out)."""
    open_bins, review_bins, suit_bins = [0] * 11, [0] * 11, [0] * 11
    for r in rows:
        for bins, measure in (
            (open_bins, "open_rate"),
            (review_bins, "review_correction"),
            (suit_bins, "suit_correction"),
        ):
            if (value := rate(measure, r)) is not None:
                bins[_bin(value)] += 1
    open_rows = [{"bin": b, "reports": n} for b, n in zip(BINS, open_bins)]
    corr_rows = [{"bin": b, "review": r, "suit": s} for b, r, s in zip(BINS, review_bins, suit_bins)]
    return open_rows, corr_rows


def _left_out_title(title: str, left_out: int) -> str:
    """A chart title that says how many reports the figure leaves out (an operand blank, unreadable or 0)."""
    return f"{title}；未计入 {left_out} 份）" if left_out else f"{title}）"


def _next_level(f: Filters, regions: dict[str, list[str]]) -> str:
    chosen = [lvl for lvl in ("province", "city", "county") if getattr(f, lvl)]
    start = ("province", "city", "county").index(chosen[-1]) + 1 if chosen else 0
    for level in ("province", "city", "county")[start:]:
        if regions.get(level):
            return level
    return "county"


def dashboard_data(corpus: CorpusDep, f: FiltersDep, _user: User | None = Depends(reader)) -> dict:
    f = replace(f, township=None)  # dashboards compare regions down to the county
    years = corpus.figures_by_year(f)
    per_report = corpus.figures_per_report(f)
    rules = corpus.findings_by_rule(filters=f)
    regions_available = corpus.region_options(f)
    level = _next_level(f, regions_available)
    regions = corpus.by_region(level, f)
    options = {"regions": regions_available, "years": corpus.years()}
    open_rows, corr_rows = distributions(per_report)
    rule_names = sorted({r["rule"] for r in rules})
    rule_rows = [
        r
        | {
            "title": RULE_BY_ID[r["rule"]].title if r["rule"] in RULE_BY_ID else r["rule"],
            "severity_zh": SEVERITY_ZH.get(r["severity"], r["severity"]),
        }
        for r in rules
    ]
    by_rule = {(r["rule"], r["severity"]): r["findings"] for r in rules}
    charts = {
        "by_year": chart_by_year(years),
        "open_rate": _chart(
            _left_out_title("公开率分布（报告数", len(per_report) - sum(r["reports"] for r in open_rows)),
            BINS,
            [_bar("报告数", [r["reports"] for r in open_rows])],
        ),
        "correction": _chart(
            "纠错率分布（报告数）",
            BINS,
            [_bar("复议纠错率", [r["review"] for r in corr_rows]), _bar("诉讼纠错率", [r["suit"] for r in corr_rows])],
        ),
        "rules": _across(
            _chart(
                "审核发现（按规则）",
                [rule_label(name) for name in rule_names],
                [
                    _bar(SEVERITY_ZH[s], [by_rule.get((name, s), 0) for name in rule_names], "sev")
                    | {"itemStyle": {"color": SEVERITY_COLOR[s]}}
                    for s in SEVERITY_ZH
                ],
            )
        ),
        "regions": _chart(
            f"地区比较（按{LEVEL_ZH[level]}）",
            [r["region"] for r in regions],
            [
                _bar("报告数", [r["reports"] for r in regions]),
                _bar("办理申请数", [r["handled"] for r in regions]),
                {
                    "name": "公开率",
                    "type": "line",
                    "yAxisIndex": 1,
                    "data": [None if r["open_rate"] is None else round(r["open_rate"] * 100, 1) for r in regions],
                },
            ],
            second_axis="公开率",
        ),
    }
    year_cols = (
        [("year", "年度"), ("reports", "报告数"), ("new", "本年新收"), ("carried_in", "上年结转")]
        + list(OUTCOMES)
        + [("total", "办理结果总计"), ("carried_out", "结转下年度")]
    )
    tables = {
        "by_year": table("各年度申请数量与办理结果", year_cols, years),
        "open_rate": table("公开率分布", [("bin", "公开率区间"), ("reports", "报告数")], open_rows),
        "correction": table(
            "纠错率分布",
            [("bin", "纠错率区间"), ("review", "复议纠错率(报告数)"), ("suit", "诉讼纠错率(报告数)")],
            corr_rows,
        ),
        "rules": table(
            "审核发现（按规则）",
            [
                ("rule", "规则"),
                ("title", "名称"),
                ("severity_zh", "级别"),
                ("findings", "发现数"),
                ("reports", "报告数"),
            ],
            rule_rows,
        ),
        "regions": table(
            f"地区比较（按{LEVEL_ZH[level]}）",
            [
                ("region", "地区"),
                ("reports", "报告数"),
                ("handled", "办理申请数"),
                ("open_rate", "公开率"),
                ("errors", "错误"),
                ("warnings", "警告"),
            ],
            regions,
        ),
    }
    return {
        "filters": f.params(),
        "level": level,
        "charts": charts,
        "tables": tables,
        "options": options,
        "reports": len(per_report),
    }


view(
    router,
    "/dashboard",
    dashboard_data,
    "dashboard.html",
    name="dashboard",
    summary="统计图表：年度申请与结果、公开率与纠错率分布、规则、地区比较",
    tag="统计",
)

COVERAGE_ZH = {"missing": "未发布年度报告", "late": "逾期发布", "unknown": "发布日期不明", "on_time": "按时发布"}


def coverage_data(
    request: Request,
    corpus: CorpusDep,
    f: FiltersDep,
    registry: str | None = Query(None, description="1：只看导入的机关名录；0：全部已知机关"),
    _user: User | None = Depends(reader),
) -> dict:
    year = f.year if isinstance(f.year, int) else forms.reporting_year()
    years = sorted(set(corpus.years()) | {forms.reporting_year()}, reverse=True)
    has_registry = corpus.has_registry()
    only = has_registry if registry in (None, "") else registry == "1"
    rows = corpus.deadlines(year, f, registry_only=only)
    regions = corpus.region_options(f)
    for r in rows:
        r["state_zh"] = COVERAGE_ZH[r["state"]]
    counts = {k: sum(1 for r in rows if r["state"] == k) for k in COVERAGE_ZH}
    return {
        "year": year,
        "filters": f.params() | {"year": year},
        "registry": only,
        "has_registry": has_registry,
        "counts": counts,
        "organs": rows,
        "options": {"years": years, "regions": regions},
        "message": request.query_params.get("msg"),
        "tables": {
            "coverage": table(
                f"{year}年度报告发布情况",
                [
                    ("name", "机关"),
                    ("province", "省"),
                    ("city", "市"),
                    ("county", "县(区)"),
                    ("township", "乡镇(街道)"),
                    ("state_zh", "情况"),
                    ("published", "发布日期"),
                    ("deadline", "法定期限"),
                    ("days_late", "逾期天数"),
                    ("report_id", "报告编号"),
                ],
                rows,
            )
        },
    }


view(
    router,
    "/coverage",
    coverage_data,
    "coverage.html",
    name="coverage",
    summary="机关名录覆盖情况：哪些机关未发布某年度报告、哪些逾期",
    tag="统计",
)
