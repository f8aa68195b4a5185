"""Vector paths of a PDF page → ruled table grids (edges → intersections → cells → tables).

The pdfplumber pipeline (table.py: ``edges_to_intersections`` → ``intersections_to_cells`` →
``cells_to_tables``) on pdfium's path objects. Coordinates are top-based (y grows downwards) like the
character boxes of pdf.py. A merged cell has no inner edges, so it comes out as one cell spanning
several grid columns/rows; a table's logical columns are its distinct cell boundaries.
"""

from __future__ import annotations

import ctypes
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from .. import budget

SNAP = 2.0  # edges this close are one rule (double borders, stroke widths)
JOIN = 2.5  # collinear pieces this close are one rule (Word draws a border per cell side)
MIN_LEN = 3.0
THIN = 3.5  # a filled rectangle thinner than this is a rule, not a shaded area


@dataclass(slots=True)
class Cell:
    x0: float
    top: float
    x1: float
    bottom: float
    col: int = 0

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (round(self.x0, 2), round(self.top, 2), round(self.x1, 2), round(self.bottom, 2))


@dataclass(slots=True)
class Grid:
    cells: list[Cell]
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    slots: dict[tuple[int, int], Cell] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.xs = sorted({c.x0 for c in self.cells} | {c.x1 for c in self.cells})
        self.ys = sorted({c.top for c in self.cells} | {c.bottom for c in self.cells})
        by_row: dict[int, list[Cell]] = {}
        column = {x: i for i, x in enumerate(self.xs)}  # list.index per cell was quadratic in a table's size
        row = {y: i for i, y in enumerate(self.ys)}
        for cell in self.cells:
            c0, c1 = column[cell.x0], column[cell.x1]
            r0, r1 = row[cell.top], row[cell.bottom]
            cell.col = c0
            by_row.setdefault(r0, []).append(cell)
            for r in range(r0, r1):
                for c in range(c0, c1):
                    self.slots[(r, c)] = cell
        self.rows = [sorted(by_row[r], key=lambda c: c.col) for r in sorted(by_row)]

    @property
    def x0(self) -> float:
        return self.xs[0]

    @property
    def x1(self) -> float:
        return self.xs[-1]

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    def cell_at(self, x: float, y: float) -> Cell | None:
        return self.slots.get((bisect_right(self.ys, y) - 1, bisect_right(self.xs, x) - 1))


Edge = tuple[float, float, float]  # fixed coordinate, start, end


def page_edges(page, raw, height: float) -> tuple[list[Edge], list[Edge]]:
    """Horizontal (y, x0, x1) and vertical (x, top, bottom) rule segments of a page, snapped and joined."""
    horizontal: list[Edge] = []
    vertical: list[Edge] = []
    if raw.FPDFPage_CountObjects(page.raw) > budget.PAGE_OBJECTS:
        return [], []  # a page drawn with more objects than any report's: its text is read, not its rules
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_PATH,), max_depth=1):
        n = raw.FPDFPath_CountSegments(obj.raw)
        if n <= 0 or n > 5000:
            continue
        if n == 2:
            left, bottom, right, top = obj.get_bounds()
            _add_box(left, height - top, right, height - bottom, horizontal, vertical)
            continue
        a, b, c, d, e, f = obj.get_matrix().get()
        start = current = None
        for i in range(n):
            segment = raw.FPDFPath_GetPathSegment(obj.raw, i)
            raw.FPDFPathSegment_GetPoint(segment, x, y)
            point = (a * x.value + c * y.value + e, height - (b * x.value + d * y.value + f))
            kind = raw.FPDFPathSegment_GetType(segment)
            if kind == raw.FPDF_SEGMENT_MOVETO:
                start = current = point
                continue
            if kind == raw.FPDF_SEGMENT_LINETO and current is not None:
                _add_line(current, point, horizontal, vertical)
            current = point
            if raw.FPDFPathSegment_GetClose(segment) and start is not None:
                _add_line(point, start, horizontal, vertical)
                current = start
    return merge_edges(horizontal), merge_edges(vertical)


def _add_box(x0: float, top: float, x1: float, bottom: float, horizontal: list, vertical: list) -> None:
    w, h = x1 - x0, bottom - top
    if h <= THIN and w >= MIN_LEN:
        horizontal.append(((top + bottom) / 2, x0, x1))
    elif w <= THIN and h >= MIN_LEN:
        vertical.append(((x0 + x1) / 2, top, bottom))


def _add_line(p: tuple[float, float], q: tuple[float, float], horizontal: list, vertical: list) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) <= 0.5 and abs(x1 - x0) >= MIN_LEN:
        horizontal.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) <= 0.5 and abs(y1 - y0) >= MIN_LEN:
        vertical.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def merge_edges(edges: list[Edge]) -> list[Edge]:
    """Snap edges to shared coordinates, then join collinear pieces that touch or overlap."""
    if not edges:
        return []
    edges.sort()
    groups: list[list[Edge]] = [[edges[0]]]
    for edge in edges[1:]:
        if edge[0] - groups[-1][-1][0] <= SNAP:
            groups[-1].append(edge)
        else:
            groups.append([edge])
    merged: list[Edge] = []
    for group in groups:
        fixed = round(sum(e[0] for e in group) / len(group), 2)
        spans = sorted((e[1], e[2]) for e in group)
        lo, hi = spans[0]
        for s, t in spans[1:]:
            if s <= hi + JOIN:
                hi = max(hi, t)
            else:
                merged.append((fixed, lo, hi))
                lo, hi = s, t
        merged.append((fixed, lo, hi))
    return merged


def find_tables(edges: tuple[list[Edge], list[Edge]]) -> list[Grid]:
    horizontal, vertical = edges
    if len(horizontal) < 2 or len(vertical) < 2 or len(horizontal) * len(vertical) > budget.RULE_CROSSINGS:
        return []  # no table, or a page hatched with more rules than any report's tables (its text is still read)
    h_by_y: dict[float, list[Edge]] = {}
    for e in horizontal:
        h_by_y.setdefault(e[0], []).append(e)
    v_by_x: dict[float, list[Edge]] = {}
    for e in vertical:
        v_by_x.setdefault(e[0], []).append(e)
    points = set()
    by_y = sorted(horizontal)
    ys = [e[0] for e in by_y]
    for vx, v0, v1 in vertical:  # only the horizontal rules within the vertical's reach
        for hy, h0, h1 in by_y[bisect_left(ys, v0 - SNAP) : bisect_right(ys, v1 + SNAP)]:
            if h0 - SNAP <= vx <= h1 + SNAP:
                points.add((vx, hy))
    xs_at_y: dict[float, list[float]] = {}
    ys_at_x: dict[float, list[float]] = {}
    for px, py in points:
        xs_at_y.setdefault(py, []).append(px)
        ys_at_x.setdefault(px, []).append(py)
    for values in (*xs_at_y.values(), *ys_at_x.values()):
        values.sort()

    def h_cover(yy: float, a: float, b: float) -> bool:
        return any(e[1] - SNAP <= a and b <= e[2] + SNAP for e in h_by_y.get(yy, ()))

    def v_cover(xx: float, a: float, b: float) -> bool:
        return any(e[1] - SNAP <= a and b <= e[2] + SNAP for e in v_by_x.get(xx, ()))

    cells: list[Cell] = []
    for px, py in sorted(points, key=lambda p: (p[1], p[0])):
        cell = _cell_from(px, py, xs_at_y, ys_at_x, points, h_cover, v_cover)
        if cell is not None:
            cells.append(cell)
    return _group(cells)


def _cell_from(px, py, xs_at_y, ys_at_x, points, h_cover, v_cover) -> Cell | None:
    """The smallest rectangle with (px, py) as top-left corner whose four sides are all drawn."""
    column, row = ys_at_x[px], xs_at_y[py]
    below = column[bisect_right(column, py) :]  # both lists are sorted
    right = row[bisect_right(row, px) :]
    for y2 in below:
        if not v_cover(px, py, y2):
            break
        for x2 in right:
            if not h_cover(py, px, x2):
                break
            if (x2, y2) in points and v_cover(x2, py, y2) and h_cover(y2, px, x2):
                return Cell(px, py, x2, y2)
    return None


def _group(cells: list[Cell]) -> list[Grid]:
    """Cells sharing corners form one table; single boxes (framed paragraphs) are not tables."""
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[float, float], int] = {}
    for i, c in enumerate(cells):
        for corner in ((c.x0, c.top), (c.x1, c.top), (c.x0, c.bottom), (c.x1, c.bottom)):
            if corner in owner:
                parent[find(i)] = find(owner[corner])
            else:
                owner[corner] = i
    groups: dict[int, list[Cell]] = {}
    for i, c in enumerate(cells):
        groups.setdefault(find(i), []).append(c)
    grids = [Grid(g) for g in groups.values() if len(g) >= 2]
    return sorted(grids, key=lambda g: (g.top, g.x0))
