"""Did a change alter what ogi reads? Fingerprints of full records over a varied corpus, saved and compared.

    python bench/same_output.py --save        record the fingerprints of the current code
    python bench/same_output.py               compare the current code with the saved ones

A speed change must leave every record identical. The corpus: the seeds, generated reports in every
text layout and both formats (traditional with pinyin among them), reports with each injectable error,
flattened crawler text (digits run together), converter markdown with detached value rows, and
HTML pages. Differences are printed per report with the first differing field.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

from ogi.model import OgiError
from ogi.pipeline import parse
from ogi.render import LAYOUTS, make_record, render_text
from ogi.render.damage import detached_markdown, flatten
from ogi.render.html import render_html
from ogi.render.sample import INJECTABLE, inject

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def corpus(count: int):
    """(name, bytes) of every case, deterministic."""
    for path in sorted(SEEDS.glob("*")) if SEEDS.is_dir() else []:
        yield path.name, path.read_bytes()
    rng = random.Random(2026)
    for i in range(count):
        template = "2019" if i % 2 else "2021"
        record = make_record(rng, template, 2020 if template == "2019" else 2023, f"对照县第{i % 13}局")
        layout = LAYOUTS[i % len(LAYOUTS)]
        traditional = i % 7 == 0
        yield f"gen-{i}.txt", render_text(record, layout, traditional=traditional, pinyin=traditional, seed=i).encode()
        rule = INJECTABLE[i % len(INJECTABLE)]
        broken, _ = inject(record, rule, rng)
        yield f"inject-{i}-{rule}.txt", render_text(broken, LAYOUTS[(i + 1) % len(LAYOUTS)], seed=i).encode()
        if i % 4 == 0:
            yield f"flat-{i}.txt", flatten(render_text(record, "pipe", seed=i)).encode()
            yield f"detached-{i}.txt", detached_markdown(record).encode()
            yield (
                f"page-{i}.html",
                render_html(record, misaligned=i % 8 == 0, encoding="gbk" if i % 8 else "utf-8", seed=i),
            )


def fingerprint(data: bytes, name: str) -> tuple[str, dict]:
    try:
        contract = parse(data, name).contract()
    except OgiError as error:
        contract = {"error": type(error).__name__, "problem": error.problem}
    # A finding's "cells" (spec §8) mirrors its "keys" and came after the saved fingerprints: left out, so
    # they still compare.
    for f in contract.get("findings", []):
        f.pop("cells", None)
    # A cell's "candidates" (issue #10) came after them too: left out while empty, as every cell then had none.
    for cell in contract.get("detail", {}).values():
        if cell.get("candidates") == []:
            del cell["candidates"]
    text = json.dumps(contract, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16], contract


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", action="store_true", help="record the current fingerprints")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--file", type=Path, default=Path("bench/out/same_output.json"))
    args = parser.parse_args()
    current = {}
    contracts = {}
    for name, data in corpus(args.count):
        current[name], contracts[name] = fingerprint(data, name)
    if args.save:
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.write_text(
            json.dumps({"fingerprints": current, "contracts": contracts}, ensure_ascii=False, default=str)
        )
        print(f"saved {len(current)} fingerprints to {args.file}")
        return
    saved = json.loads(args.file.read_text())
    changed = [n for n in current if saved["fingerprints"].get(n) != current[n]]
    for name in changed[:20]:
        old, new = saved["contracts"].get(name, {}), json.loads(json.dumps(contracts[name], default=str))
        diff = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        detail = ""
        if "cells" in diff:
            detail = str([k for k in new.get("cells", {}) if old.get("cells", {}).get(k) != new["cells"][k]][:5])
        elif "findings" in diff:
            detail = str([(f["rule"], f["message"][:40]) for f in new.get("findings", [])][:4])
        print(f"DIFFERENT {name}: {diff} {detail}")
    print(f"{len(current) - len(changed)}/{len(current)} identical")
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
