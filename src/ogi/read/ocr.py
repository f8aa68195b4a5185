"""Scanned pages and images → words with boxes and ruled grids, by Tesseract (issue #3 item 3).

The table rules are found in the page image (long dark runs, numpy), turned into the same edges a born-
digital PDF has, and erased before Tesseract reads the page once (``tsv``: words with boxes). page.py then
lays words and grids out exactly as it lays out a PDF's characters, so a scan gives the same blocks as a PDF.
Everything read here is marked: ``Document.kind == "ocr"`` and ``hints["ocr_pages"]`` lists the pages
("1,3"), so the record can set ``Origin.ocr`` on cells whose ``Where.page`` is one of them.
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import subprocess
import time
import warnings
from bisect import bisect_left
from io import BytesIO

from .. import budget
from ..model import CorruptFile, Document, EmptyFile, TooLarge, UnsupportedFormat
from .page import PageBlocks
from .pdfgrid import find_tables, merge_edges

DPI = 300  # Tesseract reads CJK best with characters 30–50 px high, i.e. 10–12 pt text at 300 dpi
MAX_PIXELS, MAX_FRAMES, TIMEOUT = budget.PIXELS, budget.FRAMES, budget.OCR_PAGE_SECONDS
LANGS = "chi_sim"  # includes digits and Latin letters; adding eng costs a third more time


class _Missing(Exception):
    pass


@functools.lru_cache(maxsize=1)
def _tesseract() -> str:
    """The tesseract binary, after checking the simplified-Chinese model is installed."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise _Missing(
            "未安装 Tesseract OCR, 无法读取扫描件 "
            "(Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
        )
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30)
    if "chi_sim" not in (listed.stdout + listed.stderr):
        raise _Missing("Tesseract 缺少简体中文模型 (missing chi_sim: apt-get install tesseract-ocr-chi-sim)")
    return binary


def available() -> bool:
    try:
        _tesseract()
    except (_Missing, OSError, subprocess.SubprocessError):
        return False
    return True


def read(data: bytes, name: str) -> Document:
    """An image file (PNG/JPEG/TIFF/GIF/BMP/WebP): every frame is a page read by OCR."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            image = Image.open(BytesIO(data))
        frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError:
        raise TooLarge(name, "图片像素过多 (image too large: decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CorruptFile(name, f"图片已损坏或格式不支持 (corrupt or unsupported image: {exc})") from None
    if frames > MAX_FRAMES:
        raise TooLarge(name, f"图片页数过多 ({frames})")
    if image.size[0] * image.size[1] > MAX_PIXELS:  # Pillow itself only refuses at twice its limit
        raise TooLarge(name, f"图片像素过多 ({image.size[0]}×{image.size[1]}), 疑似恶意文件 (image too large)")
    pages = PageBlocks()
    deadline = time.monotonic() + budget.OCR_SECONDS
    for number in range(1, frames + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TooLarge(name, f"图片识别总耗时超过 {budget.OCR_SECONDS} 秒 (over the OCR time budget)")
        try:
            image.seek(number - 1)
            image.load()
        except (OSError, ValueError, EOFError) as exc:
            raise CorruptFile(name, f"图片已损坏或不完整 (corrupt or truncated image: {exc})") from None
        except Image.DecompressionBombError:
            raise TooLarge(name, "图片像素过多 (image too large)") from None
        frame, scale = _normalise(image)
        words, grids = ocr_image(frame, scale, name, timeout=budget.seconds_left(min(TIMEOUT, left)))
        pages.add_page(words, grids, number, frame.size[1] / scale)
    blocks = pages.finish()
    if not blocks:
        raise EmptyFile(name, "图片中没有识别出文字 (no text recognised in the image)")
    return Document(blocks, source=name, kind="ocr", hints={"ocr_pages": ",".join(map(str, range(1, frames + 1)))})


def _normalise(image):
    """Greyscale at about 300 dpi, and the pixels-per-point scale of the result."""
    frame = image.convert("L")
    dpi = image.info.get("dpi", (0, 0))[0] or 0
    if not dpi or dpi < 50:
        dpi = frame.size[0] / 8.27  # assume the image is an A4 page's width
    if dpi < 250:
        # Upscaled to about 300 dpi, but never past the OCR pixel budget.
        factor = min(DPI / dpi, 4.0, (budget.OCR_PIXELS / max(frame.size[0] * frame.size[1], 1)) ** 0.5)
        frame = frame.resize((int(frame.size[0] * factor), int(frame.size[1] * factor)))
        dpi *= factor
    if frame.size[0] * frame.size[1] > budget.OCR_PIXELS:  # a huge image is read at what OCR can afford
        shrink = (budget.OCR_PIXELS / (frame.size[0] * frame.size[1])) ** 0.5
        frame = frame.resize((max(1, int(frame.size[0] * shrink)), max(1, int(frame.size[1] * shrink))))
        dpi *= shrink
    return frame, dpi / 72


class Scans:
    """The OCR budget of one PDF: pages rendered within budget.OCR_PIXELS, at most budget.OCR_PAGES pages and
    budget.OCR_SECONDS of Tesseract for the whole document (400 image-only pages took 289 s: issue #15)."""

    def __init__(self, name: str):
        self.name = name
        self.pages = 0
        self.deadline = time.monotonic() + budget.OCR_SECONDS

    def expect(self, scans: int) -> None:
        """Refuse at once a document with more scanned pages than the budget (400 took 289 s)."""
        if scans > budget.OCR_PAGES:
            raise TooLarge(
                self.name, f"需要识别的扫描页过多 ({scans} 页 > {budget.OCR_PAGES} 页) (too many pages to OCR)"
            )

    def read_page(self, page, number: int):
        """A PDF page without a text layer: render it, then read words and rules from the image."""
        self.pages += 1
        if self.pages > budget.OCR_PAGES:
            raise TooLarge(self.name, f"需要识别的扫描页超过 {budget.OCR_PAGES} 页 (too many pages to OCR)")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TooLarge(self.name, f"扫描页识别总耗时超过 {budget.OCR_SECONDS} 秒 (over the OCR time budget)")
        width, height = page.get_size()
        # 300 dpi unless the page is so large that its raster would pass the OCR pixel budget (a 5000 pt
        # page at 300 dpi is 434 Mpx, and took 12.8 GB): then the largest scale within it.
        scale = min(DPI / 72, (budget.OCR_PIXELS / max(width * height, 1.0)) ** 0.5)
        if scale < 50 / 72:
            raise TooLarge(
                self.name, f"PDF 第 {number} 页尺寸过大 ({width:.0f}×{height:.0f} pt), 无法识别 (page too large)"
            )
        image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
        return ocr_image(image, scale, self.name, timeout=budget.seconds_left(min(TIMEOUT, left)))


def ocr_image(image, scale: float, name: str, timeout: float = TIMEOUT):
    """(words, grids) of a greyscale page image; coordinates in points, like pdf.py's characters."""
    import numpy as np

    try:
        binary = _tesseract()
    except _Missing as exc:
        raise UnsupportedFormat(name, str(exc)) from None
    gray = np.asarray(image, dtype=np.uint8)
    dark = gray < 160
    h, w = dark.shape
    horizontal = _runs(dark, max(60, w // 20))
    vertical = _runs(dark.T, max(40, h // 50)).T
    grids = find_tables((merge_edges(_segments(horizontal, scale)), merge_edges(_segments(vertical.T, scale))))
    clean = gray.copy()
    clean[horizontal | vertical] = 255  # rules read as "|" and "一" otherwise
    page = clean.copy()
    for grid in grids:  # the page pass reads the text around the tables; cells are read one by one
        page[int(grid.top * scale) : int(grid.bottom * scale) + 1, int(grid.x0 * scale) : int(grid.x1 * scale) + 1] = (
            255
        )
    started = time.monotonic()
    words = _read_chars(binary, _png(page), scale, name, timeout=timeout)
    words.extend(_read_cells(binary, clean, grids, scale, name, timeout - (time.monotonic() - started)))
    return words, grids


# Lone glyphs the Chinese model reads as look-alikes ("0" → "O", "1" → "工"): mapped back only when the
# whole cell is digits and look-alikes, i.e. a number cell; the audit's arithmetic then confirms it.
_LOOKALIKE = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "〇": "0",
        "○": "0",
        "D": "0",
        "Q": "0",
        "工": "1",
        "I": "1",
        "l": "1",
        "|": "1",
        "丨": "1",
        "!": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "B": "8",
    }
)
_NUMBERISH = re.compile(r"^[+\-]?[0-9OoD〇○Q工Il|丨!ZzSB][0-9OoD〇○Q工Il|丨!ZzSB,.]{0,11}$")


def _as_number(text: str) -> str:
    compact = text.replace(" ", "")
    if _NUMBERISH.match(compact) and not compact.isdigit():
        return compact.translate(_LOOKALIKE)
    return text


def _png(pixels) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _read_cells(binary: str, clean, grids, scale: float, name: str, timeout: float = TIMEOUT) -> list[tuple]:
    """Every non-empty cell is cut out and stacked on one sheet, one cell per band, and read in one
    Tesseract call: words never straddle cells, and a lone digit is read as a line of its own."""

    crops, cells = [], []
    for grid in grids:
        for row in grid.rows:
            for cell in row:
                inset = max(4, int(1.6 * scale))  # rule residue at the cell edge reads as "1"
                y0, y1 = int(cell.top * scale) + inset, int(cell.bottom * scale) - inset
                x0, x1 = int(cell.x0 * scale) + inset, int(cell.x1 * scale) - inset
                if y1 <= y0 or x1 <= x0:
                    continue
                crop = clean[y0:y1, x0:x1]
                if int((crop < 160).sum()) < 12:
                    continue  # an empty cell: nothing to read
                crops.append(crop)
                cells.append(cell)
    if not crops:
        return []
    started = time.monotonic()
    texts = _read_sheet(binary, crops, name, LANGS, (), timeout)
    # Lone digits are where the Chinese model fails ("1" → "工", "3" → "号"): short, unsure readings
    # are read again with the Latin model restricted to numerals, and kept only when it is sure.
    unsure = [i for i, (text, conf) in enumerate(texts) if _unsure(text, conf)]
    if unsure:
        again = _read_sheet(
            binary,
            [crops[i] for i in unsure],
            name,
            "eng",
            ("-c", "tessedit_char_whitelist=0123456789.,-+"),
            timeout - (time.monotonic() - started),
        )
        for i, (text, conf) in zip(unsure, again):
            if _NUMERAL.match(text) and conf >= 70:
                texts[i] = (text.replace(",", ""), conf)
    out = []
    for cell, (text, _) in zip(cells, texts):
        if not text:
            continue
        cx, cy = (cell.x0 + cell.x1) / 2, (cell.top + cell.bottom) / 2
        out.append((cx - 0.1, cy - 0.1, cx + 0.1, cy + 0.1, _as_number(text), 10.0))  # one pseudo-character per cell
    return out


def _unsure(text: str, conf: float) -> bool:
    if text.isdigit() or len(text) > 6 or text in ("无", "空", "否", "是"):
        return False
    if text in ("—", "-", "/", "一"):
        return conf < 88  # a blank marker, unless the model doubts it ("7" read as "-")
    return conf < 88 or len(text) == 1 or any(c.isdigit() for c in text) or bool(_NUMBERISH.match(text))


_NUMERAL = re.compile(r"^[+\-]?\d{1,3}(?:,?\d{3})*(?:\.\d+)?$")


def _read_sheet(
    binary: str, crops: list, name: str, langs: str, extra: tuple, timeout: float = TIMEOUT
) -> list[tuple[str, float]]:
    """(text, mean confidence) of each crop, read in one Tesseract call on a sheet, one crop per band."""
    import numpy as np

    pad = 40
    width = max(c.shape[1] for c in crops) + 2 * pad
    height = sum(c.shape[0] + pad for c in crops) + pad
    sheet = np.full((height, width), 255, dtype=np.uint8)
    bands, y = [], pad
    for crop in crops:
        sheet[y : y + crop.shape[0], pad : pad + crop.shape[1]] = crop
        bands.append(y + crop.shape[0] + pad / 2)
        y += crop.shape[0] + pad
    found: dict[int, list[tuple]] = {}
    for ch in _read_chars(binary, _png(sheet), 1.0, name, langs, extra, timeout):
        band = bisect_left(bands, (ch[1] + ch[3]) / 2)
        if band < len(crops):
            found.setdefault(band, []).append(ch)
    out = []
    for i in range(len(crops)):
        chars = found.get(i, [])
        lines: dict[float, list] = {}
        for ch in chars:
            lines.setdefault(ch[1], []).append(ch)
        text = "".join("".join(c[4] for c in sorted(line, key=lambda c: c[0])) for _, line in sorted(lines.items()))
        conf = sum(c[6] for c in chars) / len(chars) if chars else 0.0
        out.append((text, conf))
    return out


def _runs(dark, length: int):
    """Pixels belonging to a horizontal run of at least ``length`` dark pixels."""
    import numpy as np

    h, w = dark.shape
    if w < length:
        return np.zeros_like(dark)
    sums = np.cumsum(dark, axis=1, dtype=np.int32)
    sums = np.concatenate([np.zeros((h, 1), dtype=np.int32), sums], axis=1)
    full = (sums[:, length:] - sums[:, :-length]) == length  # window starting at j is all dark
    marks = np.zeros((h, w + 1), dtype=np.int32)
    marks[:, : w - length + 1] += full
    marks[:, length : w + 1] -= full
    return np.cumsum(marks, axis=1)[:, :w] > 0


def _segments(mask, scale: float) -> list[tuple[float, float, float]]:
    """Rows of a run mask → (y, x0, x1) segments in points."""
    import numpy as np

    out: list[tuple[float, float, float]] = []
    for y in np.flatnonzero(mask.any(axis=1)):
        row = np.concatenate([[False], mask[y], [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(row))
        for start, stop in zip(edges[::2], edges[1::2]):
            out.append((y / scale, start / scale, stop / scale))
    return out


_HOCR = re.compile(
    r"class='ocr_line'[^>]*?title=\"bbox (\d+) (\d+) (\d+) (\d+)"
    r"|class='ocrx_cinfo' title='x_bboxes (\d+) \d+ (\d+) \d+; x_conf ([\d.]+)'>([^<]*)<"
)


def _read_chars(
    binary: str, png: bytes, scale: float, name: str, langs: str = LANGS, extra: tuple = (), timeout: float = TIMEOUT
) -> list[tuple]:
    """Characters with boxes, from hOCR with character boxes: words can straddle table cells."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one core per page: batches parallelise by file
    try:
        done = subprocess.run(
            [binary, "stdin", "stdout", "-l", langs, "--psm", "6", "-c", "hocr_char_boxes=1", *extra, "hocr"],
            input=png,
            capture_output=True,
            timeout=max(timeout, 1.0),
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise TooLarge(name, f"OCR 超时 (Tesseract took more than {max(timeout, 1.0):.0f} s)") from None
    if done.returncode != 0:
        raise CorruptFile(name, f"OCR 失败 (Tesseract failed: {done.stderr.decode(errors='replace')[-200:]})")
    chars = []
    top = bottom = 0.0
    for m in _HOCR.finditer(done.stdout.decode("utf-8", errors="replace")):
        if m.group(1) is not None:
            # Every character takes its line's height: a low "，" must not start a line of its own.
            top, bottom = int(m.group(2)) / scale, int(m.group(4)) / scale
            continue
        text = html.unescape(m.group(8)).strip()
        if text:
            x0, x1 = int(m.group(5)) / scale, int(m.group(6)) / scale
            chars.append((x0, top, x1, bottom, text, max(bottom - top, 1.0) * 0.85, float(m.group(7))))
    return chars
