"""One cell's text → (value, state, unit) (spec §5).

"增4" → 4, "减5" → −5, "1,234" → 1234, "532934.41" → Decimal, "251000元" → 251000 with unit 元,
blank / "—" / "-" / "/" → blank, "无" / "不适用" → not applicable, anything else → unreadable.
Input is already normalised (NFKC, simplified), so digits are ASCII.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .model import State

_BLANK = frozenset({"", "-", "—", "——", "–", "/", "\\", "－", "─", "━", "……", "...", "空", "/ /", "--"})
_NOT_APPLICABLE = frozenset({"无", "不适用", "暂无", "没有", "n/a", "na", "不涉及", "无此项"})
_NUMBER = re.compile(
    r"^(?P<sign>[+\-−增减]?)\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>万元|元|亿元|件|条|个|项|次|起|人次)?$"
)
_PLAIN_INT = re.compile(r"^\d{1,12}$")


@lru_cache(maxsize=16384)  # cell texts repeat endlessly ("0", "", "1"): read each once
def parse_value(text: str) -> tuple[int | Decimal | None, State, str | None]:
    """Read one cell; never raises. Plain digits take a fast path because they are most cells."""
    s = text.strip()
    if _PLAIN_INT.match(s):
        return int(s), State.number, None
    s = s.replace(" ", "").replace("\u3000", "")
    if s in _BLANK:
        return None, State.blank, None
    if s.lower() in _NOT_APPLICABLE:
        return None, State.not_applicable, None
    m = _NUMBER.match(s)
    if m is None:
        return None, State.unreadable, None
    num = m["num"].replace(",", "")
    try:
        value: int | Decimal = Decimal(num) if "." in num else int(num)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numerals
        return None, State.unreadable, None
    if m["sign"] in ("-", "−", "减"):
        value = -value
    unit = m["unit"]
    if unit in ("件", "条", "个", "项", "次", "起", "人次"):
        unit = None  # counting words add nothing to a count
    return value, State.number, unit


class _ValueTexts(dict):
    """text → whether it is a cell value. A dict whose misses are filled from ``parse_value``, so that
    a known text — nearly every one in a batch — is answered in C without a Python call."""

    def __missing__(self, text: str) -> bool:
        known = parse_value(text)[1] is not State.unreadable
        if len(self) < 16_384:  # bounded, like parse_value's cache
            self[text] = known
        return known


# is_value_text(text) -> bool: whether a piece of table text is a cell value (number or blank marker)
# rather than a label. Asked for every token of every table region.
is_value_text = _ValueTexts().__getitem__
