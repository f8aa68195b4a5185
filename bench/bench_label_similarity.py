"""Row-label similarity: rapidfuzz (what extract.match_row uses) against the standard library's difflib,
on table-3 labels with one character replaced as OCR and typing slips do (issue #10).

    python bench/bench_label_similarity.py [--count 3000]
"""

from __future__ import annotations

import argparse
import difflib
import random
import time

from rapidfuzz import fuzz, process

from ogi.extract import _similarity_choices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    labels, _ = _similarity_choices("t3")
    rng = random.Random(1)
    keys = []
    for _ in range(args.count):
        key = list(rng.choice(labels))
        key[rng.randrange(len(key))] = rng.choice("子予以公开其他法律行政")
        keys.append("".join(key))
    start = time.perf_counter()
    fast = [process.extract(k, labels, scorer=fuzz.ratio, limit=3) for k in keys]
    rapid = time.perf_counter() - start
    start = time.perf_counter()
    slow = [
        sorted(((difflib.SequenceMatcher(None, k, label).ratio() * 100, label) for label in labels), reverse=True)[:3]
        for k in keys
    ]
    standard = time.perf_counter() - start
    same = sum(a[0][0] == b[0][1] for a, b in zip(fast, slow))
    print(
        f"rapidfuzz {rapid / len(keys) * 1e6:.1f} µs/label, difflib {standard / len(keys) * 1e6:.1f} µs/label "
        f"({standard / rapid:.0f}× slower); same best label {same}/{len(keys)}"
    )


if __name__ == "__main__":
    main()
