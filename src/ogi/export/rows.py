"""Selected reports with their cells → the rows of the wide and the long export, plain dicts.

Wide form: one row per report (meta, then every cell key of the formats present, in the official order).
Long form: one row per cell, with state, unit, raw text and origin (spec §5: what the source says).
Input is what ``export.query.reports_with_cells`` yields: (report row, cells) pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import forms
from ..harmonise import HARMONISED, MONEY_BY_KEY, harmonised_values, in_wan, money_columns

META = (
    ("report_id", "报告编号"),
    ("organ", "机关"),
    ("organ_name", "报告所署机关"),
    ("province", "省"),
    ("city", "市"),
    ("county", "县(区)"),
    ("township", "乡镇(街道)"),
    ("division_code", "行政区划代码"),
    ("kind", "机关类型"),
    ("year", "年度"),
    ("template", "格式"),
    ("published", "发布日期"),
    ("errors", "错误"),
    ("warnings", "警告"),
    ("source", "来源"),
    ("sha256", "SHA-256"),
)
LONG = ("report_id", "organ", "year", "template", "key", "label", "value", "state", "unit", "raw", "origin")
LONG_ZH = dict(
    zip(
        LONG,
        ("报告编号", "机关", "年度", "格式", "单元格", "名称", "数值", "状态", "单位", "原文", "来源"),
        strict=True,
    )
)
Selection = Iterable[tuple[dict, list[dict]]]


def all_keys(templates: Iterable[str]) -> list[str]:
    """Keys of the given formats in reading order: table 2 of each format, then table 3 rows, then table 4."""
    present = [t for t in forms.TEMPLATES if t in templates]
    ordered = [k for t in present for k in forms.t2_keys(t)] + [k for t in present for k in forms.t3_keys(t)]
    return list(dict.fromkeys(ordered + list(forms.T4_KEYS)))


def wide_columns(keys: list[str]) -> list[str]:
    """The value columns of the wide form: each key, a money key as two (in 万元; unit unknown)."""
    return [c for k in keys for c in (money_columns(k) if k in MONEY_BY_KEY else (k,))]


def harmonised_columns() -> list[str]:
    return [h.name for h in HARMONISED]


def wide_rows(selection: Selection, keys: list[str], *, money_in_wan: bool = True) -> Iterator[dict]:
    """One dict per report: its meta and the value of each of ``keys`` (None where it has none). With
    ``money_in_wan``, a money key gives the two columns of ``wide_columns`` (harmonise.in_wan); else (the
    official layout) the value as the report writes it."""
    for report, cells in selection:
        values = {c["key"]: c["value"] for c in cells}
        row = report | {k: values.get(k) for k in keys}
        if money_in_wan:
            for key in MONEY_BY_KEY:
                if key in row:
                    del row[key]
                    row.update(dict.fromkeys(money_columns(key)))
            for c in cells:
                if c["key"] in MONEY_BY_KEY and c["key"] in keys:
                    row.update(zip(money_columns(c["key"]), in_wan(c["key"], c["value"], c["unit"])))
        yield row


def harmonised_rows(selection: Selection) -> Iterator[dict]:
    """One dict per report: its meta and its harmonised variables (harmonise.HARMONISED), either format."""
    for report, cells in selection:
        yield report | harmonised_values(report["template"], {c["key"]: c["value"] for c in cells})


def long_rows(selection: Selection) -> Iterator[dict]:
    """One dict per cell, with the ``LONG`` fields."""
    for report, cells in selection:
        for c in cells:
            yield {
                "report_id": report["report_id"],
                "organ": report["organ"] or report["organ_name"],
                "year": report["year"],
                "template": report["template"],
                "key": c["key"],
                "label": forms.label_of(c["key"]),
                "value": c["value"],
                "state": c["state"].value,
                "unit": c["unit"],
                "raw": c["raw"],
                "origin": c["origin"].value,
            }
