"""Share of reports whose organ and province ogi finds, and share right (issue 14 item 1).

A generated inbox (random organs of render/sample.PLACES, every file format but scans) and the seeds are
parsed; each organ is resolved against the national divisions (divisions.py) as the store does. The truth
for generated reports is the organ written into them and the province below, looked up by hand in the
民政部 list — not taken from ogi.

    python bench/measure_regions.py [--count 60] [--seeds ../shared/seeds]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from ogi.corpus.organs import derive, name_from_title
from ogi.pipeline import parse
from ogi.render import LAYOUTS, RENDERERS, RenderOptions, random_record

# Province of every place the generator uses (民政部 行政区划).
PROVINCE_OF = {
    "会宁县": "甘肃省",
    "缙云县": "浙江省",
    "高港区": "江苏省",
    "江宁区": "江苏省",
    "武侯区": "四川省",
    "余杭区": "浙江省",
    "钦州市": "广西壮族自治区",
    "兰溪市": "浙江省",
    "安吉县": "浙江省",
    "宁乡市": "湖南省",
    "临安区": "浙江省",
    "泾县": "安徽省",
    "长丰县": "安徽省",
    "广州市天河区": "广东省",
}
# The seeds' organs and provinces as the reports themselves state them (None: the report names none).
SEEDS = {
    "000": ("高新区质安办", None),  # no region in the report
    "001": (None, None),  # "投资区" only: the report never names itself
    "002": ("缙云县人力资源和社会保障局", "浙江省"),
    "003": ("会宁县工业和信息化局", "甘肃省"),
    "004": ("高港区行政审批局", "江苏省"),
}
FORMATS = ("text", "html", "docx", "pdf")
_TITLE_FORMS = (
    lambda organ, year, title: f"{title}\n",
    lambda organ, year, title: f"{year}年{organ}政府信息公开工作年度报告\n",
    lambda organ, year, title: f"{organ}\n{year}年政府信息公开工作年度报告\n",
    lambda organ, year, title: f"标题: {title}\n",
    lambda organ, year, title: f"# {title}\n",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seeds", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "seeds")
    args = parser.parse_args()
    rng = random.Random(14)
    folder = Path(tempfile.mkdtemp(prefix="ogi-regions-"))
    rows = []  # (label, true organ, true province, read organ, province found)
    for i in range(args.count):
        record = random_record(rng)
        fmt = FORMATS[i % len(FORMATS)]
        options = RenderOptions(layout=LAYOUTS[i % len(LAYOUTS)], traditional=i % 7 == 3, seed=i)
        path = folder / f"{i:03d}.{'txt' if fmt == 'text' else fmt}"
        data = RENDERERS[fmt].write(record, options)
        if fmt == "text":  # the title as real pages write it: year first, organ above, a crawler's field, markdown
            title, rest = data.decode().split("\n", 1)
            data = (_TITLE_FORMS[i % len(_TITLE_FORMS)](record.meta.organ, record.meta.year, title) + rest).encode()
        path.write_bytes(data)
        organ = record.meta.organ or ""
        place = next(p for p in sorted(PROVINCE_OF, key=len, reverse=True) if organ.startswith(p))
        rows.append((fmt, organ, PROVINCE_OF[place], *_read(path)))
    for seed in sorted(args.seeds.glob("*")) if args.seeds.is_dir() else []:
        organ, province = SEEDS.get(seed.name[:3], (None, None))
        rows.append(("seed", organ, province, *_read(seed)))
    _report(rows)


def _read(path: Path) -> tuple[str | None, str | None]:
    record = parse(path)
    name = record.meta.organ or name_from_title(record.meta.title)
    return name, derive(name, record.meta.year).province if name else None


def _report(rows: list[tuple]) -> None:
    for label in (*FORMATS, "seed", "all"):
        mine = [r for r in rows if label in (r[0], "all")]
        if not mine:
            continue
        named = [r for r in mine if r[1]]
        organ_right = sum(1 for r in named if r[3] and r[3].replace(" ", "") == r[1])
        with_province = sum(1 for r in mine if r[4])
        stated = [r for r in mine if r[2]]
        right = sum(1 for r in stated if r[4] == r[2])
        wrong = sum(1 for r in mine if r[4] and r[4] != r[2])
        print(
            f"{label:5} reports {len(mine):3}  organ right {organ_right}/{len(named)}  "
            f"province filled {with_province}/{len(mine)} ({with_province / len(mine):.0%})  "
            f"right {right}/{len(stated)}  wrong {wrong}"
        )


if __name__ == "__main__":
    main()
