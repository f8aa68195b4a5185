"""Cross-year and corpus rules of spec §6: (record, previous record) → findings; the narrative fingerprint. Pure.

XYEAR-CARRY    carried_in[c](y) == carried_out[c](y−1), per table-3 column (error)
XYEAR-IN-FORCE 2021 format: in_force(y) ≈ in_force(y−1) + issued(y) − repealed(y)  (warning)
XYEAR-ITEMS    2019 format: prev(y) ≈ prev(y−1) + change(y−1) for 第(五)(六)(八)项  (warning)
XYEAR-COPY     section 五 / the narrative repeats last year's (containment of character shingles), and
               near-identical narratives of different organs in the same year (warning)
OUTLIER        a year-on-year jump by an order of magnitude; 万元 amounts in the hundreds of thousands (info)

A rule whose operands are blank, missing or unreadable is not judged (as in audit.py). ``overlap`` is the one
measure of repeated text (the finding and the organ page quote it alike); ``PeerIndex`` finds near-identical
narratives among one year's fingerprints. The corpus runs all of it for stale reports (``corpus/refresh.py``).
"""

from __future__ import annotations

import difflib
import re
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, repeat

from .forms import T3_COLUMNS, label_of
from .model import Finding, Record, State
from .rules import finding

NEAR = Decimal("0.02")  # "≈": a difference within 2% of the larger side is not reported (spec says ≈)
COPY_SECTION5 = 0.5  # local rules penalise >50% overlap of section 五 with last year's
COPY_NARRATIVE = 0.7  # the whole narrative repeats; higher because 总体情况 reuses stock phrases
PEER_DUPLICATE = 0.9  # two organs' narratives in the same year share this much: one copied the other
JUMP = 10  # an order of magnitude year on year …
JUMP_MIN = 100  # … where the larger value is at least this
FEES_MAX = 100000  # 万元: ten billion yuan of fees in one organ is a unit mistake, not a fact
NARRATIVE = (1, 5, 6)  # sections that are prose; 二–四 are mostly the statutory tables
SHINGLE = 8
_NOISE = re.compile(r"[\s\d\W_]+")  # digits go too: a copied text with the year changed is still a copy

ITEM_ROWS = ("licensing", "other_services", "penalty", "coercion", "fees")
JUMP_KEYS = (
    "t3.new.total",
    "t3.total.total",
    "t3.carried_out.total",
    "t4.review.total",
    "t4.suit_direct.total",
    "t4.suit_after.total",
    "t2.licensing.decisions",
    "t2.penalty.decisions",
    "t2.coercion.decisions",
)
NEEDED_KEYS = tuple(
    [f"t3.carried_in.{c.key}" for c in T3_COLUMNS]
    + [f"t3.carried_out.{c.key}" for c in T3_COLUMNS]
    + [f"t2.{r}.{c}" for r in ("rules", "normative") for c in ("issued", "repealed", "in_force")]
    + [f"t2.{r}.{c}" for r in ITEM_ROWS for c in ("prev", "change")]
    + list(JUMP_KEYS)
    + ["t2.fees.amount"]
)


@dataclass(slots=True)
class Light:
    """What the cross-year rules read of a report: its year and format, the numbers of the cells they need
    (only cells that hold a number) and its prose sections by number. The corpus and the Dask pass build these
    straight from stored columns: a pydantic Record with a Cell a value cost a refresh more than the rules."""

    year: int | None
    template: str | None
    numbers: dict[str, int | Decimal]
    sections: dict[int, str] = field(default_factory=dict)  # NARRATIVE sections only, in the report's order
    _shingles: dict[int | None, set[str]] = field(default_factory=dict)  # per section (None: the narrative)

    @classmethod
    def of(cls, record: Record) -> Light:
        number = State.number
        return cls(
            record.meta.year,
            record.meta.template,
            {k: c.value for k in NEEDED_KEYS if (c := record.cells.get(k)) is not None and c.state is number},
            {s.number: s.text for s in _last_of_each(record.sections)},
        )

    def text(self, part: int | None) -> str | None:
        """A prose section's text, or (None) the whole narrative."""
        return "\n".join(self.sections.values()) if part is None else self.sections.get(part)

    def shingles(self, part: int | None) -> set[str]:
        """``_shingles`` of ``text(part)``, kept: a report is compared as this year's and as next year's previous."""
        found = self._shingles.get(part)
        if found is None:
            found = self._shingles[part] = _shingles(self.text(part) or "")
        return found


def _last_of_each(sections: Iterable) -> list:
    """The prose sections, one a number (the last of a number wins, as the corpus stores them), in order."""
    return list({s.number: s for s in sections if s.number in NARRATIVE}.values())


def _num(record: Light, key: str) -> int | Decimal | None:
    return record.numbers.get(key)


def _consecutive(record: Light, previous: Light | None) -> bool:
    y, p = record.year, previous.year if previous else None
    return y is not None and p is not None and y == p + 1


def _near(expected, found) -> bool:
    return abs(expected - found) <= NEAR * max(abs(expected), abs(found))


def check_carry(record: Light, previous: Light) -> list[Finding]:
    out = []
    for c in T3_COLUMNS:
        now, before = _num(record, f"t3.carried_in.{c.key}"), _num(previous, f"t3.carried_out.{c.key}")
        if now is None or before is None or now == before:
            continue
        out.append(
            finding(
                "XYEAR-CARRY",
                [f"t3.carried_in.{c.key}"],
                f"表三“{c.label}”列：本年“上年结转”为 {now}，{previous.year}年报告“结转下年度继续办理”为 {before}",
                expected=before,
                found=now,
                message_en=f"carried_in.{c.key} = {now}, last year's carried_out = {before}",
            )
        )
    return out


def check_in_force(record: Light, previous: Light) -> list[Finding]:
    if record.template != "2021" or previous.template != "2021":
        return []
    out = []
    for row, label in (("rules", "规章"), ("normative", "行政规范性文件")):
        k = f"t2.{row}."
        parts = [_num(previous, k + "in_force"), _num(record, k + "issued"), _num(record, k + "repealed")]
        found = _num(record, k + "in_force")
        if found is None or any(p is None for p in parts):
            continue
        expected = parts[0] + parts[1] - parts[2]
        if not _near(expected, found):
            out.append(
                finding(
                    "XYEAR-IN-FORCE",
                    [k + "in_force", k + "issued", k + "repealed"],
                    f"{label}：上年现行有效 {parts[0]} + 本年制发 {parts[1]} − 本年废止 {parts[2]} = {expected}，"
                    f"本年现行有效填报 {found}",
                    expected=expected,
                    found=found,
                    message_en=f"{row}: {parts[0]} + {parts[1]} - {parts[2]} = {expected}, in_force = {found}",
                )
            )
    return out


def check_items(record: Light, previous: Light) -> list[Finding]:
    if record.template != "2019" or previous.template != "2019":
        return []
    out = []
    for row in ITEM_ROWS:
        k = f"t2.{row}."
        before, change, found = _num(previous, k + "prev"), _num(previous, k + "change"), _num(record, k + "prev")
        if before is None or change is None or found is None:
            continue
        if not _near(before + change, found):
            label = {
                "licensing": "行政许可",
                "other_services": "其他对外管理服务事项",
                "penalty": "行政处罚",
                "coercion": "行政强制",
                "fees": "行政事业性收费",
            }[row]
            out.append(
                finding(
                    "XYEAR-ITEMS",
                    [k + "prev"],
                    f"{label}：上年报告上一年项目数量 {before} + 本年增/减 {change} = {before + change}，"
                    f"本年报告上一年项目数量为 {found}",
                    expected=before + change,
                    found=found,
                    message_en=f"{row}: {before} + {change} = {before + change}, prev = {found}",
                )
            )
    return out


def _clean(text: str) -> str:
    return _NOISE.sub("", text)


def _shingles(text: str) -> set[str]:
    text = _clean(text)
    return {text[i : i + SHINGLE] for i in range(max(0, len(text) - SHINGLE + 1))}


def _share(mine: set[str], earlier: set[str]) -> float | None:
    """``overlap`` of two shingle sets."""
    return len(mine & earlier) / len(mine) if len(mine) >= 20 else None


def overlap(text: str, earlier: str) -> float | None:
    """Share of ``text``'s shingles that also occur in ``earlier``; None when ``text`` is too short to judge."""
    return _share(_shingles(text), _shingles(earlier))


_SENTENCE = re.compile(r"(?<=[。！？；;!?\n])")
_WS = re.compile(r"\s+")
CHAR_DIFF = 2000  # characters on each side of a changed passage compared character by character
CHAR_DIFF_TOTAL = 20_000  # characters compared so in one section; past it, passages show whole


def section_diff(a: str, b: str, keep: int = 60) -> list[dict]:
    """Last year's text (a) against this year's (b) as pieces {"op": equal|delete|insert, "text"}: sentences
    first, then characters inside a changed passage of at most CHAR_DIFF each side; long unchanged runs
    shortened to ``keep`` characters at each end. A character diff of whole sections is quadratic (150,000
    characters took 229 s on the organ page: issue #15 item 8); sentences keep it near linear."""
    a, b = _WS.sub("", a), _WS.sub("", b)
    pieces: list[list[str]] = []  # [op, text], neighbours of the same op joined
    sa, sb = _SENTENCE.split(a), _SENTENCE.split(b)
    # autojunk: a sentence repeated hundreds of times ("无。") is no anchor, and would make it quadratic.
    budget = CHAR_DIFF_TOTAL
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, sa, sb).get_opcodes():
        old, new = "".join(sa[i1:i2]), "".join(sb[j1:j2])
        if op == "replace" and len(old) <= CHAR_DIFF and len(new) <= CHAR_DIFF and budget > 0:
            budget -= len(old) + len(new)
            for op2, k1, k2, l1, l2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
                _add(pieces, op2, old[k1:k2], new[l1:l2])
        else:
            _add(pieces, op, old, new)
    return [
        {"op": op, "text": text if op != "equal" or len(text) <= 2 * keep else text[:keep] + " … " + text[-keep:]}
        for op, text in pieces
    ]


def _add(pieces: list[list[str]], op: str, old: str, new: str) -> None:
    for kind, text in (("equal", old),) if op == "equal" else (("delete", old), ("insert", new)):
        if not text:
            continue
        if pieces and pieces[-1][0] == kind:
            pieces[-1][1] += text
        else:
            pieces.append([kind, text])


def narrative(record: Record) -> str:
    return "\n".join(s.text for s in record.sections if s.number in NARRATIVE)


def check_copy(record: Light, previous: Light) -> list[Finding]:
    """Section 五 repeating last year's, or else the whole narrative (the first that is over its limit)."""
    comparisons = (
        ("section.5", "第五部分“存在的主要问题及改进情况”", "section 5", COPY_SECTION5, 5),
        ("narrative", "报告正文", "narrative", COPY_NARRATIVE, None),
    )
    for key, what, what_en, limit, part in comparisons:
        if part is not None and (record.text(part) is None or previous.text(part) is None):
            continue
        share = _share(record.shingles(part), previous.shingles(part))
        if share is not None and share > limit:
            message = f"{what}与{previous.year}年报告重复约 {share:.0%}"
            return [
                finding(
                    "XYEAR-COPY",
                    [key],
                    message,
                    expected=f"≤{limit:.0%}",
                    found=f"{share:.0%}",
                    message_en=f"{what_en} repeats last year's by {share:.0%}",
                )
            ]
    return []


def check_outlier(record: Light, previous: Light | None = None) -> list[Finding]:
    out = []
    fees = _num(record, "t2.fees.amount")
    if record.template == "2021" and fees is not None and fees > FEES_MAX:
        out.append(
            finding(
                "OUTLIER",
                ["t2.fees.amount"],
                f"行政事业性收费金额 {fees} 万元，数额过大，疑为以元填写",
                expected=f"≤{FEES_MAX}",
                found=fees,
                message_en=f"fees {fees} (10k yuan) implausibly large",
            )
        )
    if previous is None or not _consecutive(record, previous):
        return out
    for key in JUMP_KEYS:
        a, b = _num(previous, key), _num(record, key)
        if a is None or b is None:
            continue
        hi, lo = max(a, b), min(a, b)
        if hi >= JUMP_MIN and hi >= JUMP * max(lo, 1):
            message = f"{label_of(key)}：{previous.year}年 {a}，本年 {b}，变化超过一个数量级"
            out.append(
                finding(
                    "OUTLIER", [key], message, expected=a, found=b, message_en=f"{key}: {a} last year, {b} this year"
                )
            )
    return out


def cross_year(record: Record | Light, previous: Record | Light | None) -> list[Finding]:
    """Every cross-year rule for one report against the same organ's previous year (audit.py calls this with
    whole records; the corpus and the Dask pass with the ``Light`` ones they keep)."""
    if isinstance(record, Record):
        record = Light.of(record)
    if isinstance(previous, Record):
        previous = Light.of(previous)
    if previous is None or not _consecutive(record, previous):
        return check_outlier(record)
    return (
        check_carry(record, previous)
        + check_in_force(record, previous)
        + check_items(record, previous)
        + check_copy(record, previous)
        + check_outlier(record, previous)
    )


def fingerprint(record: Record) -> bytes | None:
    """Sampled shingle hashes of the narrative (crc32: stable across processes, unlike hash())."""
    hashes = {zlib.crc32(s.encode()) for s in _shingles(narrative(record))}
    sample = sorted(h for h in hashes if h % 8 == 0)[:256]
    return array("I", sample).tobytes() if len(sample) >= 8 else None


def _hashes(blob: bytes) -> array:
    a = array("I")
    a.frombytes(blob)
    return a


class PeerIndex:
    """Inverted index of one year's fingerprints, from (report id, organ id, fingerprint) rows; hashes shared
    by many reports are stock phrases."""

    MAX_DF = 20

    def __init__(self, rows: Iterable[tuple[int, int | None, bytes]]):
        self.organ: dict[int, int | None] = {}
        self.hashes: dict[int, array] = {}
        posting: dict[int, list[int]] = defaultdict(list)
        for rid, organ_id, blob in rows:
            hs = _hashes(blob)
            self.organ[rid], self.hashes[rid] = organ_id, hs
            for h in hs:
                posting[h].append(rid)
        self.posting = {h: ids for h, ids in posting.items() if len(ids) <= self.MAX_DF}

    def peers(self, rid: int) -> list[tuple[int, float]]:
        """Reports of other organs whose sampled narrative shingles contain (nearly) all of the smaller one's."""
        if rid not in self.hashes:
            return []
        mine = self.hashes[rid]
        # One count over all postings at once (C-level), not one Counter.update a hash: most of a refresh's time.
        counts = Counter(chain.from_iterable(map(self.posting.get, mine, repeat((), len(mine)))))
        out = []
        for other, shared in counts.items():
            if other == rid or (self.organ[other] is not None and self.organ[other] == self.organ[rid]):
                continue
            share = shared / min(len(self.hashes[rid]), len(self.hashes[other]))
            if share >= PEER_DUPLICATE:
                out.append((other, share))
        return out


def peer_finding(share: float, other: int | str) -> Finding:
    """``other``: the other report's id in a corpus, or the start of its sha256 in a Dask dataset."""
    return finding(
        "XYEAR-COPY",
        ["narrative.peer"],
        f"报告正文与同年另一机关的报告（编号 {other}）几乎相同（约 {share:.0%}）",
        expected=f"<{PEER_DUPLICATE:.0%}",
        found=f"{share:.0%}",
        message_en=f"narrative nearly identical to report {other} of another organ in the same year",
    )
