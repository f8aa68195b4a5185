"""``ogi demo``: the main job on the embedded default — sample reports → audit table → the corpus.

The project ships no third-party documents, so the samples are reports it generates itself (both
formats, every text layout, some with an injected error), plus ``../shared/seeds`` when present.
They are written to a folder so a reviewer can open them, audited, and stored in the corpus (``--db``,
else $OGI_DB, else the embedded SQLite database ./ogi.db).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import typer
from rich import box
from rich.table import Table

from ..forms import template_for
from ..model import OgiError, Record, Severity
from ..pipeline import parse
from ..rules import RULE_BY_ID
from .app import app, console

# Organs of real places (the divisions table resolves them: ogi stats --by province has a province).
ORGANS = (
    "兰溪市人力资源和社会保障局",
    "会宁县交通运输局",
    "泾县人民政府",
    "安吉县教育局",
    "高港区市场监督管理局",
    "钦州市生态环境局",
    "长丰县自然资源局",
    "江宁区人民政府办公室",
)
CHECKOUT = Path(__file__).resolve().parents[3]


def write_samples(folder: Path, count: int = 24, seed: int = 2026) -> list[Path]:
    """Generated reports with known cells, in every text layout; every third one breaks one rule."""
    from ..render import INJECTABLE, LAYOUTS, inject, make_record, render_text  # about 20 ms: not for `ogi parse`

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        organ = ORGANS[i % len(ORGANS)]
        year = 2019 + i % 5
        record = make_record(rng, template_for(year), year, organ)
        label = "ok"
        if i % 3 == 2:
            rule = INJECTABLE[i % len(INJECTABLE)]
            if rule == "FEES-STATED" and year < 2021:
                rule = "T3-TOTAL"
            record, _ = inject(record, rule, rng)
            label = rule
        layout = LAYOUTS[i % len(LAYOUTS)]
        text = render_text(record, layout, traditional=(i % 7 == 3), pinyin=(i % 7 == 3))
        path = folder / f"{i:03d}_{organ}_{year}_{layout}_{label}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def seed_files(root: Path) -> list[Path]:
    """The real reports of ../shared/seeds, beside the working folder or beside the checkout."""
    for base in (root, CHECKOUT):
        seeds = base.parent / "shared" / "seeds"
        if seeds.is_dir():
            return sorted(p for p in seeds.glob("*") if p.is_file())
    return []


@app.command("demo")
def demo_command(
    folder: Path = typer.Option(Path("samples"), "--folder", help="样例报告写入的文件夹"),
    count: int = typer.Option(24, "--count", min=0, max=10000, help="生成的样例报告份数"),
    db: str | None = typer.Option(None, "--db", envvar="OGI_DB", help="语料库（默认 ./ogi.db）"),
) -> None:
    """演示：生成样例报告（并加入 ../shared/seeds 的真实报告），逐份审核并汇总结果。"""
    from ..corpus.ingest import ingest_paths  # the corpus (SQLAlchemy): only when this command runs

    paths = write_samples(folder, count) + seed_files(Path.cwd())
    console.print(f"样例报告 {len(paths)} 份（生成 {count} 份，写入 {folder}/；另含 ../shared/seeds 中的真实报告）")
    audit_samples(paths)
    summary = ingest_paths([str(p) for p in paths], db=db, console=console)
    console.print(f"已存入语料库：{summary}")
    console.print("下一步：ogi serve 打开网页界面（http://127.0.0.1:8000）；ogi stats 查看汇总统计。")


def audit_samples(paths: list[Path]) -> None:
    """Parse and audit each file; print one row per report (80 columns: the file by its number, the first
    finding by its rule's short title), then the totals and the rules that fired."""
    table = Table(title="审核结果", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("文件", no_wrap=True)
    table.add_column("机关", overflow="fold", ratio=3)
    table.add_column("年度", no_wrap=True)
    table.add_column("格式", no_wrap=True)
    table.add_column("错/警", no_wrap=True, justify="right")
    table.add_column("主要发现", overflow="fold", ratio=2)
    records: list[Record] = []
    failures = 0
    rules: Counter[str] = Counter()
    for path in paths:
        label = _file_label(path)
        try:
            record = parse(path)
        except OgiError as exc:
            failures += 1
            table.add_row(label, f"[red]{exc.problem}[/red]", "", "", "", "")
            continue
        records.append(record)
        errors = [f for f in record.findings if f.severity is Severity.error]
        warnings = [f for f in record.findings if f.severity is Severity.warning]
        rules.update(f.rule for f in errors + warnings)
        first = errors or warnings
        table.add_row(
            label,
            record.meta.organ or "—",
            str(record.meta.year or "—"),
            record.meta.template or "—",
            f"{len(errors)}/{len(warnings)}" if first else "",
            _rule_title(first[0].rule) if first else "[green]无[/green]",
        )
    console.print(table)
    console.print("文件：编号为生成的样例，“真实”为 ../shared/seeds 中的报告；详情用 ogi check 查看。")
    clean = sum(1 for r in records if not any(f.severity is Severity.error for f in r.findings))
    console.print(f"共 {len(paths)} 份：{clean} 份无错误，{len(records) - clean} 份有错误，{failures} 份无法读取。")
    if rules:
        console.print("按规则统计：" + "，".join(f"{rule} {n}" for rule, n in rules.most_common()))


def _file_label(path: Path) -> str:
    """A sample by its number (000), a seed as 真实 and its number: the full names are in the folder."""
    number = path.name.split("_", 1)[0]
    return f"真实{number}" if "seeds" in path.parts else number


def _rule_title(rule: str) -> str:
    spec = RULE_BY_ID.get(rule)
    return f"{rule} {spec.title}" if spec else rule
