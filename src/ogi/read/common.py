"""Pieces every structured reader shares: spans → grid rows, CJK space joining, dates, zip safety.

A grid row holds ONE token per origin cell (rowspan/colspan/vMerge never repeat a cell), at its logical
column, in visual order; empty cells are tokens with text "" so blanks keep their place (spec §5, §7).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from io import BytesIO

from .. import budget
from ..model import CorruptFile, Table, Token, TooLarge, Where

_CJK = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# A run of spaces with CJK (or CJK punctuation) on both sides: PDF justification and Word line wraps
# put spaces inside words ("年 度"); Chinese never separates words with spaces.
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u3000\u2002\u2003\u2009\u200b]+")
_NO_SPACE = re.compile(r"[^ \t\r\n\u00a0\u3000\u2002\u2003\u2009\u200b]*\Z").match

MAX_UNZIPPED, MAX_RATIO, MAX_MEMBERS = budget.UNZIPPED, budget.ZIP_RATIO, budget.ZIP_MEMBERS


def join_cjk(text: str) -> str:
    """Collapse whitespace and drop it between CJK characters ("年 度" → "年度", "1 000" stays)."""
    if _NO_SPACE(text):
        return text  # most cells ("0", "自然人") have nothing to collapse
    return _CJK_GAP.sub("", _SPACES.sub(" ", text)).strip()


def cell_text(paragraphs: list[str]) -> str:
    """A cell's text: its paragraphs joined by "" (Word splits "商业" / "企业" over two)."""
    return join_cjk("".join(p.strip() for p in paragraphs))


class GridBuilder:
    """Places cells with spans on a grid of logical columns and keeps one token per origin cell."""

    __slots__ = ("_taken", "_spanned", "rows", "index", "page")

    def __init__(self, index: int, page: int | None = None):
        self._taken: dict[int, set[int]] = {}  # row → logical columns covered by spans from above
        self._spanned = 0  # grid positions covered by merged cells so far (budget.SPAN_CELLS)
        self.rows: list[list[Token]] = []
        self.index = index
        self.page = page

    def new_row(self) -> None:
        self.rows.append([])

    def add(self, text: str, rowspan: int = 1, colspan: int = 1, box=None, at: int | None = None) -> None:
        """Add the next origin cell of the current row, at the next free column (or ``at``)."""
        r = len(self.rows) - 1
        taken = self._taken.setdefault(r, set())
        row = self.rows[r]
        col = at if at is not None else self._free(taken, (row[-1].where.col or 0) + 1 if row else 0)  # add() sets col
        rowspan = max(1, min(rowspan, budget.ROWSPAN))  # rowspan="9999" must not allocate forever
        colspan = max(1, min(colspan, budget.COLSPAN))
        self._spanned += rowspan * colspan
        if self._spanned > budget.SPAN_CELLS:
            rowspan = colspan = 1  # a table merged past any report's size: its spans no longer cover cells
        if rowspan == 1 and colspan == 1:
            taken.add(col)
        else:
            for dr in range(rowspan):
                self._taken.setdefault(r + dr, set()).update(range(col, col + colspan))
        row.append(Token(text, Where(table=self.index, row=r, col=col, page=self.page, box=box)))

    def span_end(self) -> int:
        """Logical column just after the last cell placed in the current row."""
        r = len(self.rows) - 1
        taken = self._taken.get(r, ())
        return max(taken) + 1 if taken else 0

    @staticmethod
    def _free(taken: set[int], col: int) -> int:
        while col in taken:
            col += 1
        return col

    def table(self) -> Table | None:
        rows = tuple(tuple(r) for r in self.rows if r)
        if not rows:
            return None
        return Table(rows=rows, index=self.index, page=self.page)


def reindex(rows: list[list[Token]], index: int) -> tuple[tuple[Token, ...], ...]:
    """Renumber rows (after dropping or merging some) so Where.row is the row in the final table."""
    out = []
    for r, row in enumerate(rows):
        out.append(
            tuple(
                Token(t.text, Where(table=index, row=r, col=t.where.col, page=t.where.page, box=t.where.box))
                for t in row
            )
        )
    return tuple(out)


_DATE = re.compile(r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_DATE_COMPACT = re.compile(r"^((?:19|20)\d\d)(\d\d)(\d\d)")


def iso_date(text: str) -> str | None:
    """ "2022-01-20 10:00", "2022年1月20日", "2022/1/20", "20220120" → "2022-01-20"."""
    m = _DATE.search(text) or _DATE_COMPACT.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def open_zip(data: bytes, name: str, what: str) -> zipfile.ZipFile:
    """Open an OOXML container after checking it cannot explode (zip bomb) or is not a zip at all."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise CorruptFile(name, f"{what}文件已损坏或不完整 (corrupt or truncated {what} file: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise TooLarge(name, f"{what}文件内部条目过多 ({len(members)}), 疑似恶意文件 (too many zip members)")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise CorruptFile(name, f"{what}文件已加密 (encrypted {what} file)")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNZIPPED or (info.file_size > 10 * 1024 * 1024 and ratio > MAX_RATIO):
            raise TooLarge(name, f"{what}文件解压后过大, 疑似压缩炸弹 (uncompressed size too large: zip bomb?)")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, name: str, what: str) -> bytes:
    try:
        with archive.open(member) as fh:
            data = fh.read(MAX_UNZIPPED + 1)  # the header's sizes can lie: never read more than the cap
    except KeyError:
        raise CorruptFile(name, f"{what}文件缺少 {member} (missing part {member})") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise CorruptFile(name, f"{what}文件已损坏 (corrupt part {member}: {exc})") from None
    if len(data) > MAX_UNZIPPED:
        raise TooLarge(name, f"{what}文件解压后过大 (part {member} too large)")
    return data
