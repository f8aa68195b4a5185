"""Working days (工作日) from the State Council's holiday calendar, for 条例第三十三条's answer periods.

The calendar is the ``chinese-calendar`` package: the 国务院办公厅 notices of each year, including the
weekend days made working days (调休). It was chosen over ``holidays``' China calendar, which agrees
with it on every day of 2019–2026 but, for a year whose notice it lacks, silently returns a calendar
without the adjusted days; ``chinese-calendar`` refuses such a year, and so does ogi: a year the
calendar does not cover is a clear message (``CalendarNotCovered``), never a guess. A new year's
notice comes with a new release of the package (pinned in pyproject.toml).

A period "within 20 working days from receipt" starts the day after receipt (the day of an event is not
counted, 民法典第二百零一条): ``working_days_after(received, answered)`` counts the working days d with
received < d ≤ answered, from a cumulative table built once, so 10,000 cases cost two lookups each.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from ..model import InvalidInput


class CalendarNotCovered(InvalidInput):
    """A date outside the years the holiday calendar knows."""


@lru_cache(maxsize=1)
def covered() -> tuple[dt.date, dt.date]:
    """The first and last day the calendar covers (whole years)."""
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)


def check_covered(day: dt.date) -> None:
    first, last = covered()
    if not first <= day <= last:
        raise CalendarNotCovered(
            "节假日历",
            f"节假日历（chinese-calendar）只覆盖 {first.year}–{last.year} 年，不含 {day.year} 年，无法计算工作日；"
            "请在国务院办公厅公布该年节假日安排、chinese-calendar 发布新版后升级再试",
        )


@lru_cache(maxsize=1)
def _cumulative() -> tuple[int, list[int]]:
    """(ordinal of the first covered day, working days from it up to and including each day)."""
    from chinese_calendar import constants

    # chinese_calendar.is_workday's own rule, read from its tables at once (calling it per day is 50x slower):
    # a weekday is a working day unless a holiday; a weekend day only when a notice makes it one (调休).
    holidays, extra_workdays = set(constants.holidays), set(constants.workdays)
    first, last = covered()
    counts, n = [], 0
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        n += day in extra_workdays or (day.weekday() < 5 and day not in holidays)
        counts.append(n)
    return first.toordinal(), counts


def working_days_after(start: dt.date, end: dt.date) -> int:
    """Working days d with start < d ≤ end (0 when end ≤ start); ``CalendarNotCovered`` outside the calendar."""
    check_covered(start)
    check_covered(end)
    base, counts = _cumulative()
    return max(0, counts[end.toordinal() - base] - counts[start.toordinal() - base])
