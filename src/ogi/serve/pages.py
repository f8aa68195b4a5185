"""The corpus list (filters, organ search), unreadable files, organs, and one organ over the years."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse

from .. import forms
from ..corpus import Filters, ReportRow
from ..corpus.query import township_of
from ..crossyear import narrative, overlap, section_diff
from ..model import REPORT_STATUS_ZH, REPORT_STATUSES, InvalidInput, NotFound, State
from ..normalise import to_simplified
from ..rules import rule_label
from .session import CorpusDep, HTTPProblem, User, WriteLockDep, current_user, reader, writer
from .web import FiltersDep, Id, file_name, from_page, json_response, root_of, table, view

router = APIRouter()
PAGE = 50
REPORT_COLUMNS = [
    ("id", "编号"),
    ("organ", "机关"),
    ("year", "年度"),
    ("template", "格式"),
    ("province", "省"),
    ("city", "市"),
    ("county", "县(区)"),
    ("township", "乡镇(街道)"),
    ("published", "发布日期"),
    ("errors", "错误"),
    ("warnings", "警告"),
    ("infos", "提示"),
    ("review_zh", "审核状态"),
    ("assignee", "审核人"),
    ("source", "文件"),
]


@router.get("/", include_in_schema=False)
def home(request: Request):
    return RedirectResponse(root_of(request) + "/reports", status_code=307)


def reports_data(
    corpus: CorpusDep,
    f: FiltersDep,
    page: int = Query(1, ge=1, le=100000, description="页码"),
    order: str = Query("-id", description="排序：-id（最新在前）、id、-year、year、organ、errors"),
    _user: User | None = Depends(reader),
) -> dict:
    total = corpus.count(f)
    rows = [_report_row(r) for r in corpus.reports(f, limit=PAGE, offset=(page - 1) * PAGE, order=order)]
    options = {
        "regions": corpus.region_options(f),
        "years": corpus.years(),
        "rules": [(r, rule_label(r)) for r in corpus.rules_seen()],
        # Account names are for those who can assign work, not for anonymous readers.
        "reviewers": [a["name"] for a in corpus.accounts.list() if a["role"] != "reader"] if _user else [],
    }
    failures = corpus.count_failures()
    return {
        "filters": f.params(),
        "total": total,
        "review_counts": _review_counts(corpus, f),
        "page": page,
        "pages": max(1, -(-total // PAGE)),
        "order": order,
        "reports": rows,
        "options": options,
        "failures": failures,
        "tables": {"reports": table("报告列表", REPORT_COLUMNS, rows)},
    }


def _review_counts(corpus, f) -> dict[str, int]:
    counts = corpus.review_counts(f)
    return {s: counts.get(s, 0) for s in REPORT_STATUSES}


def _report_row(r: ReportRow) -> dict:
    return asdict(r) | {
        "organ": r.organ or r.organ_name,
        "source": file_name(r.source),
        "review_zh": REPORT_STATUS_ZH.get(r.review_status, ""),
    }


view(
    router,
    "/reports",
    reports_data,
    "reports.html",
    name="reports",
    summary="报告列表（可按年度、地区、机关、格式、规则、级别筛选）",
)


@router.post("/api/reports/assign", summary="把筛选出的报告（当前版本）分配给一位审核人", tags=["审核"])
def assign(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    f: FiltersDep,
    assignee: str = Form("", max_length=40, description="审核人账号；留空表示取消分配"),
    user: User = Depends(writer()),
):
    name = assignee.strip() or None
    if name is not None and corpus.accounts.get(name) is None:
        raise InvalidInput("assignee", f"账号 {name} 不存在")
    with lock:
        n = corpus.assign(f, name, who=user.name)
    if from_page(request):
        query = urlencode(f.params())
        return RedirectResponse(f"{root_of(request)}/reports?{query}", status_code=303)
    return json_response({"assigned": n, "assignee": name})


def signed_in(request: Request) -> User:
    """Gate for a page that is about the person reading it (their queue)."""
    user = current_user(request)
    if user is None:
        raise HTTPProblem(401, "请先登录", login=True)
    return user


def queue_data(corpus: CorpusDep, user: User = Depends(signed_in)) -> dict:
    """The signed-in reviewer's reports, grouped by organ group (region and kind), those waiting first."""
    mine = corpus.reports(assignee=user.name, limit=None, order="organ")
    order = {"reviewing": 0, "pending": 1, "returned": 2, "passed": 3}
    groups: dict[str, list[dict]] = {}
    for r in sorted(mine, key=lambda r: order.get(r.review_status, 9)):
        place = r.county or r.city or r.province or "地区未识别"
        groups.setdefault(f"{place} · {r.kind or '类型未识别'}", []).append(_report_row(r))
    counts = _review_counts(corpus, Filters(assignee=user.name))
    rows = [row for items in groups.values() for row in items]
    return {
        "me": user.name,
        "groups": [{"name": k, "reports": v} for k, v in sorted(groups.items())],
        "review_counts": counts,
        "tables": {"queue": table("我的待审报告", REPORT_COLUMNS, rows)},
    }


view(router, "/queue", queue_data, "queue.html", name="queue", summary="我的审核队列：分配给我的报告，按机关分组")


def failures_data(corpus: CorpusDep, _user: User | None = Depends(reader)) -> dict:
    rows = [row | {"source": file_name(row["source"])} for row in corpus.failures()]
    return {
        "failures": rows,
        "tables": {
            "failures": table(
                "无法读取的文件",
                [("id", "编号"), ("source", "文件"), ("error", "错误类型"), ("reason", "原因"), ("at", "时间")],
                rows,
            )
        },
    }


view(router, "/failures", failures_data, "failures.html", name="failures", summary="无法读取的文件及原因")


def organs_data(corpus: CorpusDep, f: FiltersDep, _user: User | None = Depends(reader)) -> dict:
    """Organ search: full or partial name, simplified or traditional (the query is simplified first)."""
    text = to_simplified((f.organ or f.q or "").strip()) or None
    rows = corpus.organs(q=text, region=f.deepest_region() if not f.township else None, limit=500)
    if f.township:
        rows = [r for r in rows if township_of(r["core"]) == f.township]
    return {
        "q": text or "",
        "filters": f.params(),
        "organs": rows,
        "tables": {
            "organs": table(
                "机关",
                [
                    ("id", "编号"),
                    ("name", "名称"),
                    ("province", "省"),
                    ("city", "市"),
                    ("county", "县(区)"),
                    ("kind", "类型"),
                    ("sector", "领域"),
                    ("imported", "名录导入"),
                    ("reports", "报告数"),
                ],
                rows,
            )
        },
    }


view(router, "/organs", organs_data, "organs.html", name="organs", summary="机关搜索（全称或部分名称，简繁均可）")


def _figure_keys(records: list, everything: bool) -> list[str]:
    keys: list[str] = []
    for template in ("2021", "2019"):
        if not any(r.meta.template == template for r in records):
            continue
        for k in forms.keys(template):
            if everything or k.startswith(("t2.", "t4.")) or k.endswith(".total"):
                keys.append(k)
    return list(dict.fromkeys(keys))


def _figure(record, key: str):
    cell = record.cells.get(key)
    if cell is None or cell.state is State.missing:
        return None
    return cell.value if cell.state is State.number else ""


_GOVERNS_ZH = {None: "按机关类型", "True": "作为政府（3月31日）", "False": "作为部门（1月31日）"}


def _deadline_of(corpus, organ: dict) -> dict:
    """When the organ's reports are due, why, and who changed it."""
    due_march = forms.due_as_government(organ["name"], organ["kind"], organ.get("governs"))
    why = "审核人设定" if organ.get("governs") is not None else f"按机关类型：{organ['kind'] or '未识别'}"
    changes = [
        c
        | {
            "old_zh": _GOVERNS_ZH.get(c["old_value"], c["old_value"]),
            "new_zh": _GOVERNS_ZH.get(c["new_value"], c["new_value"]),
        }
        for c in corpus.organ_changes(organ["id"])
    ]
    return {"text": "次年3月31日前" if due_march else "次年1月31日前", "why": why, "changes": changes}


@router.post(
    "/api/organs/{organ_id}/deadline",
    summary="设定机关的报送期限：作为政府(3月31日)或部门(1月31日)，或按机关类型",
    tags=["审核"],
)
def organ_deadline(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    organ_id: Id,
    governs: str = Form("", description="government / department；留空按机关类型"),
    comment: str = Form("", max_length=2000),
    user: User = Depends(writer()),
):
    choices = {"": None, "government": True, "department": False}
    if governs not in choices:
        raise InvalidInput("governs", f"报送期限应为 government、department 或留空，而不是 {governs!r}")
    with lock:
        changed = corpus.set_organ_deadline(organ_id, choices[governs], who=user.name, comment=comment.strip() or None)
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/organs/{organ_id}#deadline", status_code=303)
    return json_response({"organ": corpus.organ(organ_id), "reports_changed": changed})


def organ_data(
    corpus: CorpusDep,
    organ_id: Id,
    all: bool = Query(False, description="显示全部单元格"),
    _user: User | None = Depends(reader),
) -> dict:
    organ = corpus.organ(organ_id)
    if organ is None:
        raise NotFound(f"organ {organ_id}", f"机关 {organ_id} 不存在")
    history = corpus.history(organ_id)
    records = [corpus.get(r.id) for r in history]
    columns = [
        {"id": r.id, "year": r.year, "template": r.template, "errors": r.errors, "warnings": r.warnings}
        for r in history
    ]
    figures = []
    for key in _figure_keys(records, all):
        values = [_figure(rec, key) for rec in records]
        changed = [
            i > 0 and values[i] != values[i - 1] and values[i] is not None and values[i - 1] is not None
            for i in range(len(values))
        ]
        figures.append({"key": key, "label": forms.label_of(key), "values": values, "changed": changed})
    diffs = []
    for i in range(1, len(records)):
        prev, cur = records[i - 1], records[i]
        sections = []
        for number in range(1, 7):
            a, b = prev.section(number), cur.section(number)
            if a is None and b is None:
                continue
            ta, tb = (a.text if a else ""), (b.text if b else "")
            sections.append(
                {
                    "number": number,
                    "title": forms.SECTIONS[number - 1].title,
                    "overlap": overlap(tb, ta),
                    "pieces": section_diff(ta, tb),
                }
            )
        whole = overlap(narrative(cur), narrative(prev))
        diffs.append(
            {
                "from": prev.meta.year,
                "to": cur.meta.year,
                "from_id": history[i - 1].id,
                "to_id": history[i].id,
                "overlap": whole,
                "sections": sections,
            }
        )
    rows = [{"key": f["key"], "label": f["label"]} | {f"y{i}": v for i, v in enumerate(f["values"])} for f in figures]
    cols = [("key", "键"), ("label", "单元格")] + [
        (f"y{i}", f"{c['year']}年（报告{c['id']}）") for i, c in enumerate(columns)
    ]
    overlaps = [
        {"from": d["from"], "to": d["to"], "overlap": d["overlap"]}
        | {f"s{s['number']}": s["overlap"] for s in d["sections"]}
        for d in diffs
    ]
    return {
        "organ": organ,
        "deadline": _deadline_of(corpus, organ),
        "reports": columns,
        "figures": figures,
        "diffs": diffs,
        "all": all,
        "tables": {
            "figures": table("历年数据", cols, rows),
            "overlap": table(
                "正文重复率",
                [("from", "上年"), ("to", "本年"), ("overlap", "正文重复率(一、五、六部分)")]
                + [(f"s{n}", f"第{'一二三四五六'[n - 1]}部分") for n in range(1, 7)],
                overlaps,
            ),
        },
    }


view(
    router,
    "/organs/{organ_id}",
    organ_data,
    "organ.html",
    name="organ",
    summary="一个机关的历年报告：数据对照与正文逐年差异",
)
