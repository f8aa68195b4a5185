"""Compaction of a dataset (``ogi compact``): the stats and the load give the same answers over the merged files as
over the batches' many small ones, from generated reports whose cells and cross-year truth are known; a kill at
each step of the commit leaves a correct dataset, which the next run finishes."""

from __future__ import annotations

import dataclasses
import importlib
import shutil
from collections import Counter
from decimal import Decimal

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

from ogi import cluster  # noqa: E402
from ogi.cluster import crossyear_job as passes  # noqa: E402
from ogi.cluster.dataset import DONE, TABLES, finished, manifests  # noqa: E402
from ogi.corpus import Corpus  # noqa: E402
from ogi.figures import figures_row  # noqa: E402
from ogi.render import RENDERERS, RenderOptions  # noqa: E402

from .test_cluster_jobs import ORGANS, Generated  # noqa: E402

compaction = importlib.import_module("ogi.cluster.compact")  # the module: ``ogi.cluster.compact`` is the function
COPY = "zz-copy-of-o1-2023.txt"  # the same bytes as o1-2023.txt, parsed in another batch
KEY = "t3.new.total"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three years of six organs (a superseded version, a carry break, a narrative copied between organs), a copy
    of one report at another path and a file that cannot be read, parsed two files a batch: many small files."""
    root = tmp_path_factory.mktemp("compact")
    generated = Generated(root / "in")
    (root / "in" / COPY).write_bytes((root / "in" / "o1-2023.txt").read_bytes())
    (root / "in" / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 20)
    dest = root / "ds"
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        summary = cluster.to_dataset([str(root / "in")], dest, client, batch_size=2)
        assert (summary.reports, summary.failed) == (len(generated.records) + 1, 1)
        cluster.cross_year(dest, client)
        yield generated, dest, client, root


@pytest.fixture
def copy(built, tmp_path):
    """A copy of the built dataset for a test to compact."""
    shutil.copytree(built[1], tmp_path / "ds")
    return tmp_path / "ds"


def answers(dest, client=None) -> tuple:
    """The stats' answers over ``dest``: totals by year and province, rates by year, findings by rule."""
    return (
        cluster.totals(dest, KEY, ("year", "province"), client=client),
        cluster.rates(dest, ("year",), client=client),
        cluster.findings_by_rule(dest, ("year",), client=client),
    )


def rows(dest) -> dict[str, Counter]:
    """Every row of every table of the finished batches, as a multiset: nothing lost, nothing twice."""
    return {
        name: Counter(tuple(sorted(r.items())) for r in cluster.read_table(dest, name).to_pylist()) for name in TABLES
    }


def files(dest) -> list:
    return sorted(p.relative_to(dest) for name in TABLES for p in (dest / name).rglob("*.parquet"))


def check_truth(generated: Generated, found: tuple) -> None:
    """The answers against the generated reports: each organ-year's current version once, the copy never twice."""
    totals, rates, findings = found
    truth: dict[tuple, Decimal] = {}
    for name in generated.current:
        record = generated.records[name]
        group = (record.meta.year, dict(ORGANS)[record.meta.organ])
        truth[group] = truth.get(group, 0) + record.value(KEY)
    assert {(r["year"], r["province"]): r[KEY] for r in totals} == truth
    assert {(r["year"], r["province"]): r["reports"] for r in totals} == dict.fromkeys(truth, 2)
    for row in rates:
        current = [generated.records[n] for n in generated.current if generated.records[n].meta.year == row["year"]]
        assert row["reports"] == 6
        assert row["handled"] == sum(figures_row(r)["new"] + figures_row(r)["carried_in"] for r in current)
    rules = Counter()
    for r in findings:
        if r["rule"].startswith("XYEAR"):
            rules[(r["year"], r["rule"])] += r["findings"]
    assert rules == {(2023, "XYEAR-CARRY"): 1, (2023, "XYEAR-COPY"): 2}


def corpus_of(dest, path) -> tuple:
    """``dest`` loaded into a fresh SQLite corpus: what the load said, the reports and findings stored, a total."""
    with Corpus(path) as corpus:
        loaded = cluster.load(dest, corpus)
        reports = [dataclasses.asdict(r) for r in corpus.reports(limit=None, versions=True)]
        findings = [(f.report_id, f.rule, f.keys, f.found) for f in corpus.findings(limit=None, versions=True)]
        failures = [(f["source"], f["reason"]) for f in corpus.failures()]
        return str(loaded), reports, findings, failures, corpus.totals(KEY, by=("year", "province"))


def test_the_stats_and_the_load_are_the_same_after_compaction(built, copy, tmp_path):
    generated, _, client, _ = built
    before, loaded_before, rows_before = answers(copy, client), corpus_of(copy, tmp_path / "a.db"), rows(copy)
    check_truth(generated, before)
    pass_before = passes.finished_pass(copy)
    many = len(files(copy))

    result = cluster.compact(copy, client)

    assert not result.skipped and (result.files_before, result.files_after) == (many, len(files(copy)))
    assert answers(copy, client) == before
    assert corpus_of(copy, tmp_path / "b.db") == loaded_before
    assert loaded_before[0].startswith("入库 19 份报告") and len(loaded_before[3]) == 1
    assert rows(copy) == rows_before
    assert passes.finished_pass(copy) == pass_before  # the same reports: the cross-year pass is not run again
    (merged,) = manifests(copy)
    assert merged.startswith("m") and list(finished(copy)) == [merged]
    assert len(finished(copy)[merged]) == len(generated.records) + 2  # every source, the copy and the broken one
    # One file a table and partition; the partition of the copy has a second file, for its second copy's rows.
    per_partition = Counter(f.parent for f in files(copy))
    twice = {f.parent for f in files(copy) if f.name.endswith("-01.parquet")}
    assert all(n == 1 for p, n in per_partition.items() if p not in twice)
    sha = {r["source"].rsplit("/", 1)[-1]: r["sha256"] for r in cluster.read_table(copy, "reports").to_pylist()}
    assert sha[COPY] == sha["o1-2023.txt"]
    having = {name for name in TABLES if sha[COPY] in cluster.read_table(copy, name, ["sha256"]).column(0).to_pylist()}
    assert {p.parts[0] for p in twice} == having and all(per_partition[p] == 2 for p in twice)
    assert {p.parts[1:] for p in twice} == {("year=2023", "province=%E6%B5%99%E6%B1%9F%E7%9C%81")}  # 浙江省


def test_a_size_limit_splits_a_partition_in_the_readers_order(built, copy):
    """Merged files of at most one source file each: the copies' order across files is kept too."""
    _, _, client, _ = built
    before = answers(copy, client)
    result = cluster.compact(copy, client, target_bytes=1)
    assert result.files_after >= result.files_before - 1
    assert answers(copy, client) == before


def test_compacting_again_does_nothing_and_a_reingest_skips_every_file(built, copy):
    generated, _, client, root = built
    cluster.compact(copy, client)
    merged = files(copy)
    again = cluster.compact(copy)
    assert again.skipped and again.files_after == len(merged) and "无需合并" in str(again)
    rerun = cluster.to_dataset([str(root / "in")], copy, client, batch_size=2)
    assert (rerun.reports, rerun.failed, rerun.skipped) == (0, 0, len(generated.records) + 2)
    assert files(copy) == merged  # the merged files are the finished batch's: never removed as unfinished


def test_new_batches_after_a_compaction_are_merged_with_it(built, copy, tmp_path):
    generated, _, client, root = built
    cluster.compact(copy, client)
    (tmp_path / "more").mkdir()
    extra = generated.records["o3-2022.txt"].model_copy(deep=True)
    extra.meta.organ = extra.meta.organ.replace("交通运输局", "财政局")
    extra.meta.title = f"{extra.meta.organ}2022年政府信息公开工作年度报告"
    (tmp_path / "more" / "new.txt").write_bytes(RENDERERS["text"].write(extra, RenderOptions(layout="pipe", seed=1)))
    assert cluster.to_dataset([str(tmp_path / "more")], copy, client).reports == 1
    before, rows_before = answers(copy, client), rows(copy)
    (gansu,) = [r for r in before[0] if (r["year"], r["province"]) == (2022, "甘肃省")]
    assert gansu["reports"] == 3  # the new organ's report counted beside the two there
    result = cluster.compact(copy, client)
    assert not result.skipped
    assert answers(copy, client) == before and rows(copy) == rows_before
    assert len(manifests(copy)) == 1  # the first merge and the new batch absorbed into one
    rerun = cluster.to_dataset([str(root / "in"), str(tmp_path / "more")], copy, client)
    assert (rerun.reports, rerun.skipped) == (0, len(generated.records) + 3)


def _crash_while_merging(monkeypatch):
    """The fifth partition's task killed while writing its merged file: a file cut short, never committed."""
    merge = compaction.merge_partition
    calls = []

    def killed(files, merged, *rest):
        calls.append(files)
        if len(calls) == 5:
            folder = files[0].rsplit("/", 1)[0]
            with open(f"{folder}/{merged}-0000-00.parquet", "wb") as f:
                f.write(b"PAR1 cut short")
            raise KeyboardInterrupt
        return merge(files, merged, *rest)

    monkeypatch.setattr(compaction, "merge_partition", killed)


def _crash_before_the_commit(monkeypatch):
    """Every merged file written, killed before the manifest entry."""

    def killed(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(compaction, "_commit", killed)


def _crash_deleting(after: int):
    def crash(monkeypatch):
        """The manifest entry written, killed after ``after`` of the replaced files were deleted."""
        remove = compaction._remove
        removed = []

        def killed(path):
            if len(removed) == after:
                raise KeyboardInterrupt
            removed.append(path)
            remove(path)

        monkeypatch.setattr(compaction, "_remove", killed)

    return crash


@pytest.mark.parametrize(
    "crash",
    [_crash_while_merging, _crash_before_the_commit, _crash_deleting(0), _crash_deleting(7)],
    ids=["while merging", "before the commit", "after the commit", "while deleting"],
)
@pytest.mark.parametrize("next_run", ["compact", "ingest"])
def test_a_kill_at_each_step_leaves_a_correct_dataset(built, copy, crash, next_run, monkeypatch):
    """Killed at a step of the commit: the stats give the same answers, every row counts once; the next
    ``compact`` or ``to_dataset`` (whichever runs first) finishes with nothing lost or twice."""
    generated, _, _, root = built
    before, rows_before = answers(copy), rows(copy)
    with monkeypatch.context() as patched:
        crash(patched)
        with pytest.raises(KeyboardInterrupt):
            cluster.compact(copy)
    assert answers(copy) == before and rows(copy) == rows_before
    if next_run == "ingest":
        rerun = cluster.to_dataset([str(root / "in")], copy, built[2], batch_size=2)
        assert (rerun.reports, rerun.skipped) == (0, len(generated.records) + 2)
        assert answers(copy) == before and rows(copy) == rows_before
    cluster.compact(copy)
    assert answers(copy) == before and rows(copy) == rows_before
    assert len(manifests(copy)) == 1 and list(finished(copy))[0].startswith("m")
    assert not [f for f in files(copy) if not f.name.startswith(list(finished(copy))[0])]  # nothing left over
    rerun = cluster.to_dataset([str(root / "in")], copy, built[2], batch_size=2)
    assert (rerun.reports, rerun.skipped) == (0, len(generated.records) + 2)
    assert rows(copy) == rows_before
    check_truth(generated, answers(copy))


def test_the_compact_command_prints_its_summary(copy):
    from typer.testing import CliRunner

    from ogi.cli import app

    runner = CliRunner()
    many = len(files(copy))
    result = runner.invoke(app, ["compact", str(copy)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())
    assert f"合并前{many:,}个文件，合并后{len(files(copy)):,}个文件（" in said and "MB→" in said and "秒）" in said
    result = runner.invoke(app, ["compact", str(copy), "-q"])
    assert result.exit_code == 0 and "无需合并" in "".join(result.output.split())
    result = runner.invoke(app, ["compact", str(copy.parent / "nothing")])
    assert result.exit_code == 2 and "不是ogiingest--cluster写出的数据集" in "".join(result.output.split())
    assert (copy / DONE).is_dir()
