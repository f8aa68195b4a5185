"""``ogi ingest --cluster`` (parse on Dask into a Parquet dataset) and ``ogi load`` (that dataset into a corpus).

Dask is the optional extra ``ogi[cluster]``: ``ogi.cluster`` is imported only inside these commands, so the
other commands start without it.
"""

from __future__ import annotations

import sys

import typer

from ..model import OgiError
from .app import EXIT_OK, EXIT_UNREADABLE, app, console, errors, exit_on_error

_MISSING = "需要安装可选组件：pip install 'ogi[cluster]'（Dask、distributed、fsspec）"


def _progress(quiet: bool, label: str):
    """A Rich progress bar fed by (done, total), or nothing when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn  # only with a terminal

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
    )
    task = bar.add_task(label, total=None)
    return bar, lambda done, total: bar.update(task, completed=done, total=total)


def ingest_on_cluster(paths: list[str], cluster: str, dataset: str, *, workers: int | None, quiet: bool) -> None:
    """The body of ``ogi ingest --cluster``."""
    try:
        from .. import cluster as dask_run  # Dask: an optional extra, imported only when --cluster is given
    except ImportError:
        errors.print(f"[red]错误[/red] {_MISSING}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        client = dask_run.open_client(cluster, workers)
    except (OSError, TimeoutError) as exc:
        errors.print(f"[red]错误[/red] 无法连接 Dask 调度器 {cluster}：{exc}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    bar, progress = _progress(quiet, "集群解析")
    try:
        if bar:
            bar.start()
        summary = dask_run.to_dataset(paths, dataset, client, progress=progress)
    except KeyboardInterrupt:
        errors.print("已中断：已完成的批次均完整保存，再次运行同一命令即可继续。")
        raise typer.Exit(130) from None
    finally:
        if bar:
            bar.stop()
        cluster_of = client.cluster
        client.close()
        if cluster_of is not None and cluster == "local":
            cluster_of.close()
    console.print(f"{summary}；数据集：{dataset}（用 ogi load {dataset} 入库）")
    for source, reason in summary.failures[:50]:
        errors.print(f"[red]失败[/red] {source}: {reason}")
    if len(summary.failures) > 50:
        errors.print(f"……另有 {len(summary.failures) - 50} 份失败，详见数据集 failures 表")
    raise typer.Exit(EXIT_UNREADABLE if summary.failed or summary.lost_batches else EXIT_OK)


@app.command("load")
def load_command(
    dataset: str = typer.Argument(..., help="ogi ingest --cluster 写出的 Parquet 数据集目录"),
    db: str | None = typer.Option(None, "--db", envvar="OGI_DB", help="语料库：SQLite 文件路径或数据库 URL"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度条"),
) -> None:
    """把集群解析得到的数据集批量入库，然后对整个语料库运行一次跨年度审核；重复运行不会重复入库。"""
    try:
        from .. import cluster as dask_run  # pyarrow dataset reading with the cluster module's table layout
    except ImportError:
        errors.print(f"[red]错误[/red] {_MISSING}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    from ..corpus import Corpus  # SQLAlchemy: only when this command runs

    bar, progress = _progress(quiet, "入库")
    with exit_on_error(), Corpus(db) as corpus:
        try:
            if bar:
                bar.start()
            loaded = dask_run.load(dataset, corpus, progress=progress)
        except OgiError as exc:
            errors.print(f"[red]错误[/red] {exc.source}: {exc.problem}")
            raise typer.Exit(EXIT_UNREADABLE) from None
        finally:
            if bar:
                bar.stop()
    console.print(str(loaded))
    for error in loaded.errors[:50]:
        errors.print(f"[red]未能入库[/red] {error}")
    raise typer.Exit(EXIT_UNREADABLE if loaded.errors else EXIT_OK)
