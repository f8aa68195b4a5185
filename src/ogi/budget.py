"""The resource budget of reading and showing one file: every limit in one place (issue #15).

A report is small: under 20 MB, 5–30 pages, tables of under 100 rows and 20 columns. Anything far past
that is hostile or broken, and must cost a bounded amount of memory and time before it is refused or
read in part. Each limit is enforced where its cost is incurred (the reader that inflates, rasterises,
places spans or runs OCR), so no format is protected by chance. ``Clock`` bounds the seconds reading one
file may take, whatever the reader.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from dataclasses import dataclass

from .model import TooLarge

# Bytes
BYTES = 64 * 1024 * 1024  # a file: a real report is under 20 MB
HTML_BYTES = 24 * 1024 * 1024  # a web page: < 2 MB even with inline images
UNZIPPED = 200 * 1024 * 1024  # a DOCX/XLSX unpacks to a few MB; more is a zip bomb
ZIP_RATIO = 200  # deflate reaches ~10:1 on XML; hundreds-to-one only comes from crafted members
ZIP_MEMBERS = 5000
INFLATED_STREAM = 64 * 1024 * 1024  # one PDF stream inflated: a full CJK font ~20 MB, an A4 RGB scan ~26 MB
CONTENT_STREAM = 16 * 1024 * 1024  # one PDF page's drawing operators inflated: a report page needs < 1 MB
DIGIT_RUN = 400  # one run of digits: a flattened table 3 row is < 100 (values reads at most 4,300)

# Pages and pixels
PAGES = 400  # of a PDF: reports run to 5–30 pages
PIXELS = 80_000_000  # one decoded image: A4 at 600 dpi is 35 Mpx
OCR_PIXELS = 20_000_000  # one page image handed to OCR (~30 bytes a pixel on the way): A3 at 300 dpi is 17 Mpx
FRAMES = 50  # of a multi-page image
PAGE_OBJECTS = 50_000  # drawn objects on one PDF page searched for table rules: a report page has < 5,000
RULE_CROSSINGS = 1_000_000  # horizontal × vertical rules of one page: a ruled report page has < 100 × 30

# OCR seconds
OCR_PAGES = 60  # pages of one document read by OCR: a scanned report has 5–30
OCR_PAGE_SECONDS = 120  # Tesseract on one page
OCR_SECONDS = 300  # Tesseract on all the pages of one document (a 30-page scan takes 60–150 s)

# Tables: spans, cells and the grids built from them
ROWSPAN = 500  # rowspan="9999" in broken pages must not allocate forever
COLSPAN = 200
SPAN_CELLS = 100_000  # grid positions covered by merged cells in one table (XLSX merges, HTML spans)
SHEET_ROWS = 5000  # a report's sheet has < 100 rows
SHEET_COLUMNS = 200
GRID_ROWS = 5000  # rows of one source table shown on the web page
GRID_COLUMNS = 200  # distinct columns of one source table shown on the web page
PANE_CELLS = 200_000  # table cells in the web page's source pane, all tables together

# Seconds for reading one file (every reader; OCR has its own, smaller share above)
SECONDS = 900


@dataclass(slots=True)
class Clock:
    """The seconds one file has left; the readers look at it where a loop can run long."""

    name: str
    deadline: float

    def check(self, what: str) -> None:
        if time.monotonic() > self.deadline:
            raise TooLarge(self.name, f"读取耗时超过 {SECONDS} 秒，已停止 (over the time budget while {what})")

    def left(self) -> float:
        return self.deadline - time.monotonic()


_CLOCK: ContextVar[Clock | None] = ContextVar("ogi_budget_clock", default=None)


def start(name: str, seconds: float | None = None) -> Token[Clock | None] | None:
    """Start the clock of one file (SECONDS unless given); returns the token ``stop`` takes (a nested start
    keeps the outer clock)."""
    if _CLOCK.get() is not None:
        return None
    return _CLOCK.set(Clock(name, time.monotonic() + (SECONDS if seconds is None else seconds)))


def stop(token: Token[Clock | None] | None) -> None:
    if token is not None:
        _CLOCK.reset(token)


def check(what: str) -> None:
    """Raise TooLarge when the current file is past its seconds (no clock: reading outside ``start``)."""
    clock = _CLOCK.get()
    if clock is not None:
        clock.check(what)


def seconds_left(default: float) -> float:
    clock = _CLOCK.get()
    return default if clock is None else min(default, max(0.0, clock.left()))
