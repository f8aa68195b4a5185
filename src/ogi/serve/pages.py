"""The corpus list (filters, organ search), unreadable files, organs, and one organ over the years."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from .. import forms
from ..corpus import ReportRow
from ..corpus.query import township_of
from ..crossyear import narrative, overlap
from ..model import NotFound, State
from ..normalise import to_simplified
from .session import CorpusDep, User, reader
from .web import FiltersDep, Id, file_name, root_of, table, view

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
    options = {"regions": corpus.region_options(f), "years": corpus.years(), "rules": corpus.rules_seen()}
    failures = corpus.count_failures()
    return {
        "filters": f.params(),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
        "order": order,
        "reports": rows,
        "options": options,
        "failures": failures,
        "tables": {"reports": table("报告列表", REPORT_COLUMNS, rows)},
    }


def _report_row(r: ReportRow) -> dict:
    return asdict(r) | {"organ": r.organ or r.organ_name, "source": file_name(r.source)}


view(
    router,
    "/reports",
    reports_data,
    "reports.html",
    name="reports",
    summary="报告列表（可按年度、地区、机关、格式、规则、级别筛选）",
)


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

_WS = re.compile(r"\s+")


def diff_pieces(a: str, b: str, keep: int = 60) -> list[dict]:
    """Character diff of last year's text (a) and this year's (b); long unchanged runs are shortened."""
    a, b = _WS.sub("", a), _WS.sub("", b)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            text = a[i1:i2]
            out.append({"op": "equal", "text": text if len(text) <= 2 * keep else text[:keep] + " … " + text[-keep:]})
            continue
        if op in ("delete", "replace"):
            out.append({"op": "delete", "text": a[i1:i2]})
        if op in ("insert", "replace"):
            out.append({"op": "insert", "text": b[j1:j2]})
    return out


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
                    "pieces": diff_pieces(ta, tb),
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
