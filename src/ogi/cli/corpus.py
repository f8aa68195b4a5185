"""``ogi ingest | stats | export | organs``: the corpus commands, each one library call plus printing.

The database is ``--db`` (a path for SQLite, or a URL such as postgresql://user:pw@127.0.0.1/ogi), else
$OGI_DB, else ./ogi.db. The corpus modules are imported inside the commands: they pull in SQLAlchemy
(about 0.3 s), which ``ogi parse`` and ``ogi check`` must not pay for.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.table import Table

from ..figures import LEFT_OUT, MEASURE
from ..model import SEVERITY_ZH, Severity
from ..rules import RULE_BY_ID
from .app import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNREADABLE, app, console, errors, exit_on_error, print_csv

if TYPE_CHECKING:
    from ..corpus import Corpus

_DB = typer.Option(None, "--db", envvar="OGI_DB", help="语料库：SQLite 文件路径或数据库 URL（默认 ./ogi.db）")
_YEAR = typer.Option(None, "--year", help="年度（可多次指定）")
_REGION = typer.Option(None, "--region", help="地区：省、市或县（区）名称")
_ORGAN = typer.Option(None, "--organ", help="机关名称（部分即可）")
_TEMPLATE = typer.Option(None, "--template", help="报告格式：2019 或 2021")
_KIND = typer.Option(None, "--kind", help="机关类型，如 政府部门、人民政府、乡镇街道")


@contextmanager
def opened(db: str | None) -> Iterator[Corpus]:
    """The corpus, open for one command; an error opening or using it ends the command with exit status 2."""
    from ..corpus import Corpus  # SQLAlchemy: only when a corpus command runs

    with exit_on_error(), Corpus(db) as corpus:
        yield corpus


def _filters(year, region, organ, template, kind) -> dict:
    """The filters the user gave, as keywords for the corpus's queries."""
    given = {"year": year or None, "region": region, "organ": organ, "template": template, "kind": kind}
    return {k: v for k, v in given.items() if v}


@app.command(epilog="退出码：0 全部入库；2 这些路径中有文件无法读取（本次失败或以前失败且未重试）；130 被中断。")
def ingest(
    paths: list[str] = typer.Argument(..., help="文件、文件夹、通配符、@清单文件（每行一个路径或网址）或网址"),
    db: str | None = _DB,
    workers: int | None = typer.Option(None, "--workers", "-j", min=1, help="并行进程数（默认 CPU 核数，最多 8）"),
    keep_source: bool = typer.Option(True, "--keep-source/--no-source", help="是否在库中保存原文件"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="重新尝试以前失败的文件"),
    timeout: float = typer.Option(300, "--timeout", min=1, help="每个文件的解析时限（秒），超时记为失败"),
    memory: int = typer.Option(2048, "--memory", min=64, help="每个解析进程的内存上限（MB），超出记为失败"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度条"),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        help="在 Dask 集群上解析：调度器地址 tcp://主机:8786 或 local；结果写入 --dataset，再用 ogi load 入库",
    ),
    dataset: str = typer.Option("ogi-dataset", "--dataset", help="--cluster 时写出的 Parquet 数据集目录"),
) -> None:
    """把报告加入语料库：按内容去重，可中断后续传，失败的文件记录原因后继续。"""
    if cluster:
        from .cluster import ingest_on_cluster  # Dask: an optional extra, imported only when --cluster is given

        ingest_on_cluster(paths, cluster, dataset, workers=workers, quiet=quiet)
        return
    from ..corpus.ingest import ingest as run  # the corpus: only when this command runs
    from ..pool import Limits  # with the ingest it configures: multiprocessing only when this command runs

    with opened(db) as corpus:
        try:
            summary = run(
                corpus,
                paths,
                workers=workers,
                keep_source=keep_source,
                retry_failed=retry_failed,
                progress=not quiet and sys.stderr.isatty(),
                console=errors,
                limits=Limits(seconds=timeout, memory_mb=memory),
            )
        except KeyboardInterrupt:
            errors.print("已中断：已入库的报告均完整保存，再次运行同一命令即可继续。")
            raise typer.Exit(EXIT_INTERRUPTED) from None
    console.print(str(summary))
    for source, reason in summary.failures:
        errors.print(f"[red]失败[/red] {source}: {reason}")
    if summary.failed > len(summary.failures):
        errors.print(f"……另有 {summary.failed - len(summary.failures)} 份失败，详见语料库 failures 表")
    if summary.failed_before:
        errors.print(
            f"[yellow]{summary.failed_before} 份文件以前解析失败，本次未重试[/yellow]（加 --retry-failed 重试；"
            "原因见语料库 failures 表）"
        )
    raise typer.Exit(EXIT_UNREADABLE if summary.failed or summary.failed_before else EXIT_OK)


@app.command("stats")
def stats_command(
    db: str | None = _DB,
    key: list[str] = typer.Option(None, "--key", "-k", help="汇总的单元格键，如 t3.new.total（可多次指定）"),
    by: str = typer.Option("year", "--by", help="分组：year,province,city,county,kind,sector,level,template,organ"),
    rank: str | None = typer.Option(None, "--rank", help="排名依据：单元格键或指标（open_rate、handled…）"),
    top: int = typer.Option(20, "--top", help="排名显示前几名"),
    ascending: bool = typer.Option(False, "--ascending", help="排名从小到大"),
    by_rule: bool = typer.Option(False, "--findings", help="按规则统计审核发现"),
    harmonised: bool = typer.Option(
        False, "--harmonised", help="--key 为两版格式统一的变量（如 t2.rules.issued 含 2019 版的本年新制作数量）"
    ),
    year: list[int] = _YEAR,
    region: str | None = _REGION,
    organ: str | None = _ORGAN,
    template: str | None = _TEMPLATE,
    kind: str | None = _KIND,
    fmt: str = typer.Option("table", "--format", "-f", help="输出：table、json 或 csv"),
    dataset: str | None = typer.Option(
        None, "--dataset", help="改为统计 ogi ingest --cluster 写出的 Parquet 数据集（按年度、省分组与筛选）"
    ),
    cluster: str | None = typer.Option(
        None, "--cluster", help="--dataset 时在 Dask 集群上统计：tcp://主机:8786 或 local；不指定则在本进程"
    ),
) -> None:
    """语料库统计：各单元格合计、派生比率（公开率、纠错率等）、排名、按规则的审核发现。"""
    from ..corpus import stats  # the rank's label, beside the SQL aggregates (SQLAlchemy)

    filters = _filters(year, region, organ, template, kind)
    groups = tuple(b for b in by.split(",") if b) if by else ()
    if dataset:
        _stats_of_dataset(dataset, cluster, key, groups, by_rule, harmonised, filters, rank, fmt)
        return
    if cluster:
        errors.print("[red]错误[/red] --cluster 只用于 --dataset（数据集统计）；语料库统计由数据库完成")
        raise typer.Exit(EXIT_UNREADABLE)
    with opened(db) as corpus:
        if rank:
            rows, title = corpus.ranking(rank, top, ascending=ascending, **filters), f"排名：{stats.label(rank)}"
        elif by_rule:
            rows, title = corpus.findings_by_rule(by=groups, **filters), "审核发现（按规则）"
        elif key:
            rows = corpus.totals(key, by=groups, harmonised=harmonised, **filters)
            title = "合计（统一变量）" if harmonised else "合计"
        else:
            rows, title = corpus.rates(by=groups, **filters), "申请办理与复议诉讼指标"
    _print_rows(rows, title, fmt)


def _stats_of_dataset(dataset, cluster, key, groups, by_rule, harmonised, filters, rank, fmt) -> None:
    """``ogi stats --dataset``: the same figures over a Parquet dataset, by year and province (its partitions)."""
    from .cluster import stats_on_dataset  # Dask and pyarrow: an optional extra, only with --dataset

    unsupported = [name for name in ("organ", "template", "kind") if name in filters] + (["rank"] if rank else [])
    if unsupported:
        errors.print(
            f"[red]错误[/red] --dataset 只支持按年度（--year）与省（--region 省名）筛选，"
            f"不支持 {', '.join(unsupported)}"
        )
        raise typer.Exit(EXIT_UNREADABLE)
    rows, title = stats_on_dataset(
        dataset,
        cluster,
        keys=key,
        groups=groups,
        by_rule=by_rule,
        harmonised=harmonised,
        years=filters.get("year"),
        region=filters.get("region"),
    )
    _print_rows(rows, title, fmt)


def _print_rows(rows: list[dict], title: str, fmt: str) -> None:
    for row in rows:
        row.pop("numbers", None)
    if fmt == "json":
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if fmt == "csv":
        print_csv(columns, ([r.get(c) for c in columns] for r in rows))
        return
    left_out = [c for c in columns if c.endswith(LEFT_OUT)]
    shown = [c for c in columns if c not in left_out]
    console.print(_figures_table(rows, shown, title) if rows else f"{title}：没有符合条件的报告")
    counts = {c.removesuffix(LEFT_OUT): sum(r.get(c) or 0 for r in rows) for c in left_out}
    if any(counts.values()):
        told = "，".join(f"{MEASURE[m].label} {n} 份" for m, n in counts.items() if n)
        console.print(f"未计入：{told}（分子或分母空白、缺失或无法识读，不按 0 计）")


def _figures_table(rows: list[dict], columns: list[str], title: str) -> Table:
    from ..corpus import stats  # column labels and groupings, beside the SQL aggregates (SQLAlchemy)

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for c in columns:
        table.add_column(stats.label(c), justify="left" if c in stats.BY or c == "rule" else "right")
    for r in rows:
        table.add_row(*(_show(c, r.get(c), MEASURE.get(c)) for c in columns))
    if table.__rich_measure__(console, console.options).minimum <= console.width or len(rows) > _TURNED_MAX:
        return table
    # Wider than the terminal: one line per figure, one column per group (a few groups only).
    groups = [c for c in columns if c in stats.BY]
    turned = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    turned.add_column("")
    for r in rows:
        turned.add_column(" ".join(str(r.get(g) or "—") for g in groups) or "全部", justify="right")
    for c in columns:
        if c not in groups:
            turned.add_row(stats.label(c), *(_show(c, r.get(c), MEASURE.get(c)) for r in rows))
    return turned


_TURNED_MAX = 5  # groups a turned table shows side by side


def _show(column: str, value, measure) -> str:
    """A figure as the table prints it; a column whose measure is a ratio prints as a percentage."""
    if value is None:
        return "—"
    if column == "severity":
        return SEVERITY_ZH.get(Severity(value), value)
    if column == "rule" and value in RULE_BY_ID:
        return f"{value} {RULE_BY_ID[value].title}"
    if (measure and measure.over) or (column == "value" and isinstance(value, float) and value <= 1):
        return f"{value:.1%}"
    return str(value)


@app.command("export")
def export_command(
    output: str = typer.Argument(..., help="导出文件路径（扩展名 .csv、.xlsx 或 .parquet 决定格式）"),
    db: str | None = _DB,
    fmt: str | None = typer.Option(None, "--format", "-f", help="csv、xlsx 或 parquet（默认按扩展名，须与之一致）"),
    form: str = typer.Option(
        "wide",
        "--form",
        help="wide 每份报告一行（xlsx 为官方表样）、long 每个单元格一行、harmonised 两版格式统一变量的宽表",
    ),
    harmonised: bool = typer.Option(False, "--harmonised", help="导出两版格式统一的变量（同 --form harmonised）"),
    year: list[int] = _YEAR,
    region: str | None = _REGION,
    organ: str | None = _ORGAN,
    template: str | None = _TEMPLATE,
    kind: str | None = _KIND,
) -> None:
    """导出语料库：CSV / Parquet / Excel，宽表、长表或统一变量宽表（变量说明见 ogi keys 与 docs/codebook.md）。"""
    from ..export import export, format_of  # SQLAlchemy and openpyxl: only when this command runs

    form = "harmonised" if harmonised else form
    with exit_on_error():
        fmt = format_of(output, fmt)
    with opened(db) as corpus:
        n = export(corpus, output, fmt, form, **_filters(year, region, organ, template, kind))
    unit = "个单元格" if form == "long" else "份报告"
    console.print(f"已导出 {n} {unit} → {output}")


@app.command("organs")
def organs_command(
    db: str | None = _DB,
    import_file: str | None = typer.Option(
        None, "--import", help="导入机关名录（CSV/XLSX：名称、别名、省、市、县、类型…）"
    ),
    q: str | None = typer.Option(None, "--q", help="按名称查找"),
    region: str | None = _REGION,
    coverage: int | None = typer.Option(None, "--coverage", help="某年度各地区报告覆盖情况"),
    limit: int = typer.Option(50, "--limit", help="最多显示几个机关"),
) -> None:
    """机关名录：查看、导入（合并不同写法、更正地区和类型），以及年度报告覆盖情况。"""
    with opened(db) as corpus:
        if import_file:
            console.print(f"已导入机关 {corpus.import_organs(import_file)} 个")
        if coverage:
            _print_coverage(corpus.coverage(coverage, region), coverage)
            return
        rows = corpus.organs(q=q, region=region, limit=limit)
    table = Table(title="机关", box=box.SIMPLE_HEAD, pad_edge=False)
    for h in ("编号", "名称", "省", "市", "县(区)", "区划代码", "类型", "报告数"):
        table.add_column(h, overflow="fold", ratio=4 if h == "名称" else None)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["name"] + (" [yellow]⚠[/yellow]" if r.get("region_note") else ""),
            r["province"] or "",
            r["city"] or "",
            r["county"] or "",
            r.get("division_code") or "",
            r["kind"] or "",
            str(r["reports"]),
        )
    console.print(table)
    flagged = [r for r in rows if r.get("region_note")]
    if flagged:  # never a place made up from a misread name: the reader decides, or an organ list does
        console.print(f"⚠ {len(flagged)} 个机关的地区未能确定，例如 {flagged[0]['name']}：{flagged[0]['region_note']}")
        console.print("  可用 ogi organs --import 名录.csv（名称、省、市、县）补上。")


def _print_coverage(rows: list[dict], year: int) -> None:
    table = Table(title=f"{year}年度报告覆盖情况")
    for h in ("省", "市", "县(区)", "机关数", "已有报告", "缺报告（部分）"):
        table.add_column(h)
    for r in rows:
        missing = "、".join(r["missing"][:5]) + ("…" if len(r["missing"]) > 5 else "")
        table.add_row(
            r["province"] or "", r["city"] or "", r["county"] or "", str(r["organs"]), str(r["reported"]), missing
        )
    console.print(table)
