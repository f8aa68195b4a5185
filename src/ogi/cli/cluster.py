"""``ogi ingest --cluster`` (parse on Dask into a Parquet dataset), ``ogi load`` (that dataset into a corpus),
``ogi crossyear`` (the cross-year rules over the dataset on Dask), ``ogi compact`` (its small files merged) and
``ogi stats --dataset`` (its figures).

Dask is the optional extra ``ogi[cluster]``: ``ogi.cluster`` is imported only inside these commands, so the
other commands start without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from ..model import OgiError
from .app import EXIT_OK, EXIT_UNREADABLE, app, console, errors, exit_on_error

_MISSING = "需要安装可选组件：pip install 'ogi[cluster]'（Dask、distributed、fsspec）"


@contextmanager
def _progress(quiet: bool, label: str, interrupted: str | None = None) -> Iterator[Callable | None]:
    """A Rich progress bar while the block runs, fed by the (done, total) callback it yields (None when quiet or
    not on a terminal). Ctrl-C in the block: ``interrupted`` is said, and the command exits with 130."""
    bar = None
    if not quiet and sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn  # with a terminal

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=errors,
        )
        task = bar.add_task(label, total=None)
        bar.start()
    try:
        with _on_interrupt(interrupted):
            yield (lambda done, total: bar.update(task, completed=done, total=total)) if bar else None
    finally:
        if bar:
            bar.stop()


@contextmanager
def _status(quiet: bool, what: str, interrupted: str) -> Iterator[None]:
    """A spinner saying what a step without a count is doing (nothing when quiet or not on a terminal); Ctrl-C
    in the block: ``interrupted`` is said, and the command exits with 130."""
    with _on_interrupt(interrupted):
        if quiet or not sys.stderr.isatty():
            yield
            return
        with errors.status(what):
            yield


@contextmanager
def _on_interrupt(said: str | None) -> Iterator[None]:
    """Ctrl-C in the block: ``said`` is printed and the command exits with 130 (re-raised when None)."""
    try:
        yield
    except KeyboardInterrupt:
        if said is None:
            raise
        errors.print(said)
        raise typer.Exit(130) from None


def _cluster_module():
    try:
        from .. import cluster as dask_run  # Dask: an optional extra, imported only by these commands
    except ImportError:
        errors.print(f"[red]错误[/red] {_MISSING}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    return dask_run


@contextmanager
def connected(cluster: str | None, workers: int | None = None) -> Iterator:
    """A client of the Dask cluster (``local``: a LocalCluster started here, closed after), or None without one."""
    if not cluster:
        yield None
        return
    dask_run = _cluster_module()
    try:
        client = dask_run.open_client(cluster, workers)
    except (OSError, TimeoutError) as exc:
        errors.print(f"[red]错误[/red] 无法连接 Dask 调度器 {cluster}：{exc}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        yield client
    finally:
        cluster_of = client.cluster
        client.close()
        if cluster_of is not None and cluster == "local":
            cluster_of.close()


def ingest_on_cluster(paths: list[str], cluster: str, dataset: str, *, workers: int | None, quiet: bool) -> None:
    """The body of ``ogi ingest --cluster``."""
    dask_run = _cluster_module()
    with connected(cluster, workers) as client:
        summary = _parse_on(dask_run, client, paths, dataset, quiet)
    console.print(f"{summary}；数据集：{dataset}（用 ogi load {dataset} 入库）")
    for source, reason in summary.failures[:50]:
        errors.print(f"[red]失败[/red] {source}: {reason}")
    if len(summary.failures) > 50:
        errors.print(f"……另有 {len(summary.failures) - 50} 份失败，详见数据集 failures 表")
    raise typer.Exit(EXIT_UNREADABLE if summary.failed or summary.lost_batches else EXIT_OK)


def _parse_on(dask_run, client, paths: list[str], dataset: str, quiet: bool):
    with _progress(quiet, "集群解析", "已中断：已完成的批次均完整保存，再次运行同一命令即可继续。") as progress:
        return dask_run.to_dataset(paths, dataset, client, progress=progress)


@app.command("load")
def load_command(
    dataset: str = typer.Argument(..., help="ogi ingest --cluster 写出的 Parquet 数据集目录"),
    db: str | None = typer.Option(None, "--db", envvar="OGI_DB", help="语料库：SQLite 文件路径或数据库 URL"),
    workers: int | None = typer.Option(
        None, "--workers", "-j", min=1, help="解码记录的并行进程数（默认 CPU 核数，最多 8；1 表示在本进程）"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度条"),
) -> None:
    """把集群解析得到的数据集批量入库，然后对整个语料库运行一次跨年度审核；重复运行不会重复入库。"""
    dask_run = _cluster_module()  # pyarrow dataset reading with the cluster module's table layout
    from ..corpus import Corpus  # SQLAlchemy: only when this command runs

    with exit_on_error(), Corpus(db) as corpus:
        try:
            interrupted = "已中断：已入库的报告均完整保存，再次运行同一命令即可继续。"
            with _progress(quiet, "入库", interrupted) as progress:
                loaded = dask_run.load(dataset, corpus, progress=progress, workers=workers, refresh=False)
            checking = "已中断：报告均已入库；未核对完的跨年度审核将由下次 ogi load 或 ogi ingest 完成。"
            with _status(quiet, "核对跨年度（上年数据衔接、同年报告雷同）……", checking):
                corpus.refresh()  # a pass cut short leaves its reports marked stale: the next one does them
        except OgiError as exc:
            errors.print(f"[red]错误[/red] {exc.source}: {exc.problem}")
            raise typer.Exit(EXIT_UNREADABLE) from None
    console.print(str(loaded))
    for error in loaded.errors[:50]:
        errors.print(f"[red]未能入库[/red] {error}")
    raise typer.Exit(EXIT_UNREADABLE if loaded.errors else EXIT_OK)


_CLUSTER = typer.Option(
    None, "--cluster", help="在 Dask 集群上运行：调度器地址 tcp://主机:8786 或 local（本机）；不指定则在本进程运行"
)


@app.command("crossyear")
def crossyear_command(
    dataset: str = typer.Argument(..., help="ogi ingest --cluster 写出的 Parquet 数据集目录"),
    cluster: str | None = _CLUSTER,
    workers: int | None = typer.Option(None, "--workers", "-j", min=1, help="--cluster local 时的工作进程数"),
    force: bool = typer.Option(False, "--force", help="数据集未变也重新运行"),
) -> None:
    """在数据集上运行跨年度审核（同一机关相邻年度、同年不同机关正文雷同），结果写入数据集的 crossyear 表；
    数据集未变时不重复运行。适用于单台数据库容纳不下的语料。"""
    dask_run = _cluster_module()
    with exit_on_error(), connected(cluster, workers) as client:
        result = dask_run.cross_year(dataset, client, force=force)
    console.print(str(result))


@app.command("compact")
def compact_command(
    dataset: str = typer.Argument(..., help="ogi ingest --cluster 写出的 Parquet 数据集目录"),
    cluster: str | None = _CLUSTER,
    workers: int | None = typer.Option(None, "--workers", "-j", min=1, help="--cluster local 时的工作进程数"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度条"),
) -> None:
    """把数据集中每个表、每个分区的众多小文件合并为一个（或几个不超过约 128 MB 的）文件，统计与入库时少开文件。
    合并过程中随时中断都不会丢失或重复数据，再次运行即可完成；已合并且未新增批次的数据集不会重复合并。
    请勿在 ogi ingest --cluster 向同一数据集写入时运行。"""
    dask_run = _cluster_module()
    interrupted = "已中断：数据集仍完整可用（每份报告仍只计一次），再次运行同一命令即可完成合并。"
    with (
        exit_on_error(),
        connected(cluster, workers) as client,
        _progress(quiet, "合并小文件", interrupted) as progress,
    ):
        result = dask_run.compact(dataset, client, progress=progress)
    console.print(str(result))


def stats_on_dataset(
    dataset: str,
    cluster: str | None,
    *,
    keys: list[str] | None,
    groups: tuple[str, ...],
    by_rule: bool,
    harmonised: bool,
    years: list[int] | None,
    region: str | None,
) -> tuple[list[dict], str]:
    """The body of ``ogi stats --dataset``: (rows, title) as the corpus's stats give them."""
    dask_run = _cluster_module()
    with exit_on_error(), connected(cluster) as client:
        if (Path(dataset) / dask_run.DONE).is_dir() and dask_run.finished_pass(dataset) is None:
            # The figures count each organ-year's current version, which the pass finds: it runs first, once.
            errors.print("数据集尚未运行跨年度审核（或已有新的批次），先运行一次……")
        where = {"client": client, "years": years or None, "province": region}
        if by_rule:
            return dask_run.findings_by_rule(dataset, groups, **where), "审核发现（按规则）"
        if keys:
            rows = dask_run.totals(dataset, keys, groups, harmonised=harmonised, **where)
            return rows, "合计（统一变量）" if harmonised else "合计"
        return dask_run.rates(dataset, groups, **where), "申请办理与复议诉讼指标"
