"""The cells of the 2019 and the 2021 formats as one set of variables for a panel, and money in one unit.

A harmonised variable is one number per report whatever the format (``HARMONISED``, built from forms.py):
- **same**: the key exists in both formats with the same meaning (all of table 4; table 3 but （六）;
  the 处理决定数量 of 行政许可 / 行政处罚 / 行政强制);
- **renamed**: the formats word the same count differently — 2019 本年新制作数量 (``made``) and 2021
  本年制发件数 (``issued``) of 规章 and 规范性文件;
- **sum**: one format splits what the other counts once — 2019's single （六）其他处理 row equals the sum
  of 2021's three （六） sub-rows, per column. A 2021 report that kept the single row gives it directly.
Cells of one format only (2019 上一年项目数量 / 本年增减, 其他对外管理服务事项, 政府集中采购; 2021 本年废止件数,
现行有效件数, 本年收费金额) have no harmonised variable: they mean something the other format does not count.
A harmonised value is unknown (None) when any part is blank, missing or unreadable — a blank is not a 0.

Money (``MONEY``): 2021's 本年收费金额 is in 万元 by its header; 2019's 采购总金额 has no unit in the header,
so a cell is in 元 or 万元 only when the report writes the unit. The wide export converts to 万元 and says
so in the column name; a number of unknown unit goes to a column of its own, never converted by guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from . import forms
from .forms import T3_COLUMNS, T3_ROW_KEYS

Value = int | float | Decimal | None


@dataclass(frozen=True, slots=True)
class Harmonised:
    name: str  # the variable's name: the key itself where both formats share it, else the 2021 key
    label: str
    relation: str  # same / renamed / sum
    parts: Mapping[str, tuple[str, ...]]  # format → keys whose sum is the value (one key: the cell itself)


def _build() -> tuple[Harmonised, ...]:
    out: list[Harmonised] = []
    k19 = set(forms.keys("2019"))
    # 本年制发件数 (2021) ≡ 本年新制作数量 (2019)
    renamed = {f"t2.{row}.issued": f"t2.{row}.made" for row in ("rules", "normative")}
    other_parts = ("other.no_correction", "other.no_fee", "other.misc")
    for key in forms.keys("2021"):
        # Table 2 keys shared by name differ in meaning except the 处理决定数量 (2019 prev/change ≠ 2021 …).
        if key in k19 and (not key.startswith("t2.") or key.endswith(".decisions")):
            out.append(Harmonised(key, forms.label_of(key), "same", {"2019": (key,), "2021": (key,)}))
        elif key in renamed:
            label = forms.label_of(key) + "（2019：本年新制作数量）"
            out.append(Harmonised(key, label, "renamed", {"2019": (renamed[key],), "2021": (key,)}))
        elif key.startswith("t3.other.no_correction."):
            column = key.rsplit(".", 1)[1]
            name = f"t3.other.{column}"
            parts = tuple(T3_ROW_KEYS[r][_column_index(column)] for r in other_parts)
            label = forms.label_of(name)
            out.append(Harmonised(name, label, "sum", {"2019": (name,), "2021": parts}))
    return tuple(out)  # the 2021 reading order; the （六） variables where 2021 has its sub-rows


def _column_index(column: str) -> int:
    return next(i for i, c in enumerate(T3_COLUMNS) if c.key == column)


HARMONISED: tuple[Harmonised, ...] = _build()
HARMONISED_BY_NAME = {h.name: h for h in HARMONISED}
# Every format key → the harmonised variable it feeds (or is).
HARMONISED_OF: dict[str, str] = {k: h.name for h in HARMONISED for keys in h.parts.values() for k in keys}


def harmonised_values(template: str | None, values: Mapping[str, Value]) -> dict[str, Value]:
    """One report's harmonised variables from its cell values (None: blank / missing / unreadable)."""
    out: dict[str, Value] = {}
    for h in HARMONISED:
        if h.relation == "sum" and h.name in values and values[h.name] is not None:
            out[h.name] = values[h.name]  # a 2021 report that kept the single 2019 row
            continue
        keys = h.parts.get(template or "", ())
        parts = [values.get(k) for k in keys]
        out[h.name] = sum(parts) if keys and all(p is not None for p in parts) else None  # type: ignore[arg-type]
    return out


# ---- units -------------------------------------------------------------------------------------------------

TO_WAN = {"万元": Decimal(1), "元": Decimal("0.0001"), "亿元": Decimal(10000)}


@dataclass(frozen=True, slots=True)
class Money:
    key: str
    header_unit: str | None  # the unit the official header states; None: the header states none


MONEY = (Money("t2.fees.amount", "万元"), Money("t2.procurement.amount", None))
MONEY_BY_KEY = {m.key: m for m in MONEY}
UNKNOWN_UNIT = "单位不明"


def money_columns(key: str) -> tuple[str, str]:
    """The wide form's columns for a money key: in 万元, and as written where the unit is unknown."""
    return f"{key}[万元]", f"{key}[{UNKNOWN_UNIT}]"


def in_wan(key: str, value: Value, unit: str | None) -> tuple[Value, Value]:
    """(value in 万元 or None, value as written when its unit is unknown or None) of a money cell."""
    if value is None:
        return None, None
    unit = unit or MONEY_BY_KEY[key].header_unit
    if unit not in TO_WAN:
        return None, value
    scaled = Decimal(str(value)) * TO_WAN[unit]
    return (int(scaled) if scaled == scaled.to_integral_value() else float(scaled)), None
