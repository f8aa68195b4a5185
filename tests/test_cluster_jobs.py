"""The cross-year pass and the stats as Dask jobs over a dataset (issue #12), against generated reports whose
cross-year truth is known, and against the corpus (SQLite) loaded with the same files."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

from ogi import cluster  # noqa: E402
from ogi.cluster import crossyear_job as passes  # noqa: E402
from ogi.corpus import Corpus  # noqa: E402
from ogi.corpus.rows import prepare  # noqa: E402
from ogi.figures import MEASURE, figures_row  # noqa: E402
from ogi.model import InvalidInput, Record, State  # noqa: E402
from ogi.pipeline import parse  # noqa: E402
from ogi.render import LAYOUTS, RENDERERS, RenderOptions, make_record  # noqa: E402
from ogi.render.sample import PAIR_INJECTORS, previous_year  # noqa: E402

ORGANS = (
    ("浙江省丽水市缙云县教育局", "浙江省"),
    ("浙江省丽水市缙云县财政局", "浙江省"),
    ("甘肃省白银市会宁县教育局", "甘肃省"),
    ("甘肃省白银市会宁县交通运输局", "甘肃省"),
    ("江苏省泰州市高港区卫生健康局", "江苏省"),
    ("江苏省泰州市高港区财政局", "江苏省"),
)


def earlier(record: Record) -> Record:
    """The organ's report of the year before, in agreement with ``record`` on every cross-year rule."""
    previous = previous_year(record)
    year = previous.meta.year
    previous.meta.title = f"{previous.meta.organ}{year}年政府信息公开工作年度报告"
    previous.meta.published = record.meta.published.replace(year=record.meta.published.year - 1)
    return previous


class Generated:
    """Three years of each organ; the truth of the cross-year pass, by construction:

    - organ 0: its 2022 report carries out one column more than its 2023 report carries in (XYEAR-CARRY);
    - organs 2 and 4: their 2023 narratives are the same text (XYEAR-COPY narrative.peer, both ways);
    - organ 5: a first version of 2022, published earlier, carries out what 2023 does not carry in; the later
      version agrees — the current version is the later one, so nothing is found, and the stats leave the
      first version out.
    """

    def __init__(self, folder, seed: int = 11):
        rng = random.Random(seed)
        folder.mkdir(parents=True, exist_ok=True)
        self.records: dict[str, Record] = {}  # file name → the record written
        self.current: list[str] = []  # file names of the current versions
        chains = []
        for organ, _ in ORGANS:
            last = make_record(rng, "2021", 2023, organ)
            chain = [earlier(earlier(last)), earlier(last), last]
            chains.append(chain)
        record, previous = chains[0][2], chains[0][1]
        (self.carry_key,) = PAIR_INJECTORS["XYEAR-CARRY"](record, previous, rng)
        column = self.carry_key.rsplit(".", 1)[1]
        self.carry = (previous.value(f"t3.carried_out.{column}"), record.value(self.carry_key))
        copied = [s.model_copy() for s in chains[2][2].sections if s.number in (1, 5, 6)]
        chains[4][2].sections = [s for s in chains[4][2].sections if s.number not in (1, 5, 6)] + copied
        chains[4][2].sections.sort(key=lambda s: s.number)
        first = chains[5][1].model_copy(deep=True)
        first.meta.published -= dt.timedelta(days=20)
        first.cells["t3.carried_out.natural"].value += 3
        for i, chain in enumerate(chains):
            for record in chain:
                name = f"o{i}-{record.meta.year}.txt"
                self.records[name] = record
                self.current.append(name)
        self.records["o5-2022-first.txt"] = first
        for n, (name, record) in enumerate(sorted(self.records.items())):
            options = RenderOptions(layout=LAYOUTS[n % len(LAYOUTS)], seed=n)
            (folder / name).write_bytes(RENDERERS["text"].write(record, options))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The generated files, their dataset (parsed on a LocalCluster, cross-year pass run) and the corpus."""
    root = tmp_path_factory.mktemp("jobs")
    generated = Generated(root / "in")
    dest = root / "ds"
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        summary = cluster.to_dataset([str(root / "in")], dest, client, batch_size=4)
        assert (summary.reports, summary.failed) == (len(generated.records), 0)
        first = cluster.cross_year(dest, client)
        again = cluster.cross_year(dest, client)
        yield generated, dest, client, first, again, root


@pytest.fixture(scope="module")
def corpus(made):
    """The same files parsed here, stored in a corpus by its own bulk path and refreshed (not from the dataset)."""
    _, _, _, _, _, root = made
    with Corpus(root / "corpus.db") as c:
        preps = []
        for path in sorted((root / "in").iterdir()):
            data = path.read_bytes()
            record = parse(data, str(path))
            preps.append(prepare(record, data))
        c.add_many(preps)
        c.refresh()
        yield c


def _sha_of(dest) -> dict[str, str]:
    """File name → sha256 of its report in the dataset."""
    rows = cluster.read_table(dest, "reports", ["sha256", "source"]).to_pylist()
    return {r["source"].rsplit("/", 1)[-1]: r["sha256"] for r in rows}


def test_cross_year_pass_finds_exactly_the_injected_breaks(made):
    generated, dest, _, first, again, _ = made
    sha = _sha_of(dest)
    found = passes.read_pass_table(dest, passes.FINDINGS).to_pylist()
    got = {(r["sha256"], r["rule"], r["keys"], r["expected"], r["found"], r["other_sha256"]) for r in found}
    before, now = generated.carry
    carry = (sha["o0-2023.txt"], "XYEAR-CARRY", generated.carry_key, str(before), str(now), sha["o0-2022.txt"])
    peers = {r[:3] + (r[5],) for r in got if r[2] == "narrative.peer"}
    assert got - {r for r in got if r[2] == "narrative.peer"} == {carry}
    a, b = sha["o2-2023.txt"], sha["o4-2023.txt"]
    assert peers == {(a, "XYEAR-COPY", "narrative.peer", b), (b, "XYEAR-COPY", "narrative.peer", a)}
    assert all(int(r["found"].rstrip("%")) >= 90 for r in found if r["keys"] == "narrative.peer")
    (message,) = [r["message"] for r in found if r["rule"] == "XYEAR-CARRY"]
    assert f"本年“上年结转”为 {now}" in message and f"2022年报告“结转下年度继续办理”为 {before}" in message
    versions = passes.read_pass_table(dest, passes.VERSIONS).to_pylist()
    assert [(v["sha256"], v["current_sha256"]) for v in versions] == [(sha["o5-2022-first.txt"], sha["o5-2022.txt"])]
    assert (first.reports, first.findings, first.peers, first.superseded, first.skipped) == (19, 3, 2, 1, False)
    assert again.skipped and (again.findings, again.peers) == (3, 2)


def test_corpus_refresh_gives_the_same_cross_year_findings(made, corpus):
    generated, dest, _, _, _, _ = made
    sha_of_id = {r.id: r.sha256 for r in corpus.reports(limit=None, versions=True)}
    stored = {
        (sha_of_id[f.report_id], f.rule, " ".join(f.keys), f.expected, f.found, sha_of_id.get(f.other_report_id))
        for f in corpus.findings(limit=None, versions=True)
        if f.origin == "corpus"
    }
    found = passes.read_pass_table(dest, passes.FINDINGS).to_pylist()
    dask = {(r["sha256"], r["rule"], r["keys"], r["expected"], r["found"], r["other_sha256"]) for r in found}
    assert stored == dask
    assert len(stored) == 3  # the truth of test_cross_year_pass_finds_exactly_the_injected_breaks


def test_a_new_batch_runs_the_pass_again_and_a_killed_pass_leaves_nothing(made, tmp_path):
    import shutil

    generated, dest, client, *_ = made
    copy = tmp_path / "ds"
    shutil.copytree(dest, copy)
    (tmp_path / "more").mkdir()
    extra = make_record(random.Random(1), "2021", 2023, "浙江省丽水市缙云县卫生健康局")
    (tmp_path / "more" / "new.txt").write_bytes(RENDERERS["text"].write(extra, RenderOptions(layout="pipe", seed=1)))
    assert cluster.to_dataset([str(tmp_path / "more")], copy, client).reports == 1
    redone = cluster.cross_year(copy, client)
    assert not redone.skipped and redone.reports == len(generated.records) + 1 and redone.findings == 3
    (copy / passes.MANIFEST).unlink()  # as if the pass had been killed before its manifest
    assert passes.read_pass_table(copy, passes.FINDINGS).num_rows == 0
    redone = cluster.cross_year(copy, client)
    assert not redone.skipped and redone.findings == 3
    assert passes.read_pass_table(copy, passes.FINDINGS).num_rows == 3
    files = list((copy / passes.FINDINGS).rglob("*.parquet"))
    assert len({f.name.split("-", 1)[0] for f in files}) == 1  # the earlier passes' files are gone


def test_a_dataset_of_an_older_ogi_is_refused_not_guessed(made, tmp_path):
    """Reports written without the organ key or the figures: the pass and the rates say so (a gap, no guess)."""
    import shutil

    import pyarrow.parquet as pq

    from ogi.model import OgiError

    _, dest, client, *_ = made
    copy = tmp_path / "ds"
    shutil.copytree(dest, copy)
    for path in (copy / "reports").rglob("*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["organ_key", "total"]), path)
    with pytest.raises(OgiError, match="缺少 organ_key 列"):
        cluster.cross_year(copy, client, force=True)
    with pytest.raises(OgiError, match="缺少 total 列"):
        cluster.rates(copy, ("year",), client=client)


def _by_year_province(rows):
    return {(r.get("year"), r.get("province")): r for r in rows}


def test_totals_match_the_corpus_and_the_generated_cells(made, corpus):
    generated, dest, client, *_ = made
    key = "t3.new.total"
    dask = cluster.totals(dest, key, ("year", "province"), client=client)
    stored = corpus.totals(key, by=("year", "province"))
    assert dask == stored
    truth: dict[tuple, Decimal] = {}
    for name in generated.current:
        record = generated.records[name]
        province = dict(ORGANS)[record.meta.organ]
        group = (record.meta.year, province)
        truth[group] = truth.get(group, 0) + record.value(key)
    assert {g: r[key] for g, r in _by_year_province(dask).items()} == truth
    assert {g: r["reports"] for g, r in _by_year_province(dask).items()} == dict.fromkeys(truth, 2)
    pruned = cluster.totals(dest, key, ("province",), client=client, years=[2023])
    assert pruned == corpus.totals(key, by=("province",), year=2023)
    here = cluster.totals(dest, key, ("year",))  # no cluster: the same jobs in this process
    assert here == corpus.totals(key, by=("year",))
    one = cluster.totals(dest, key, ("year",), province="甘肃省")
    assert one == corpus.totals(key, by=("year",), region="甘肃省")
    with pytest.raises(InvalidInput, match="数据集中没有省“甘肃”"):
        cluster.totals(dest, key, ("year",), province="甘肃")


def test_rates_match_the_corpus_and_the_generated_figures(made, corpus):
    generated, dest, client, *_ = made
    dask = cluster.rates(dest, ("year",), client=client)
    assert dask == corpus.rates(by=("year",))
    for row in dask:
        rows = [figures_row(generated.records[n]) for n in generated.current]
        rows = [r for n, r in zip(generated.current, rows) if generated.records[n].meta.year == row["year"]]
        opened = sum(r["granted"] + r["partial"] for r in rows)
        assert row["open_rate"] == round(opened / sum(r["total"] for r in rows), 4)
        assert row["handled"] == sum(r["new"] + r["carried_in"] for r in rows)
        assert row["reports"] == 6
    assert MEASURE["open_rate"].over == ("total",)


def test_a_blank_operand_leaves_the_report_out_of_a_rate(tmp_path):
    """Blank 上年结转 and 结转下年度 in one report (so that no identity fixes them): 办理申请数 leaves it out
    (unknown, not 0), the Dask job as the corpus."""
    rng = random.Random(4)
    folder = tmp_path / "in"
    folder.mkdir()
    records = [make_record(rng, "2021", 2023, organ) for organ, _ in ORGANS[:3]]
    for key, cell in records[0].cells.items():
        if key.startswith(("t3.carried_in.", "t3.carried_out.")):
            cell.value, cell.state, cell.raw = None, State.blank, ""
    assert figures_row(records[0])["carried_in"] is None
    for i, record in enumerate(records):
        (folder / f"r{i}.txt").write_bytes(RENDERERS["text"].write(record, RenderOptions(layout="pipe", seed=i)))
    dest = tmp_path / "ds"
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        cluster.to_dataset([str(folder)], dest, client)
        (row,) = cluster.rates(dest, (), client=client)
    with Corpus(tmp_path / "c.db") as c:
        c.add_many([prepare(parse(p.read_bytes(), str(p)), p.read_bytes()) for p in sorted(folder.iterdir())])
        c.refresh()
        assert [row] == c.rates(by=())
    parsed = [figures_row(parse(p.read_bytes(), str(p))) for p in sorted(folder.iterdir())]
    assert parsed[0]["carried_in"] is None  # the generated blanks are read as unknown
    assert row["handled__left_out"] == 1
    assert row["handled"] == sum(r["new"] + r["carried_in"] for r in parsed[1:])


def test_a_copy_at_another_path_counts_once(tmp_path):
    """The same bytes under two names, parsed in different batches (so in different files of a partition): the
    totals, rates and findings count the report once, from the generated values, as the corpus does."""
    rng = random.Random(9)
    folder = tmp_path / "in"
    folder.mkdir()
    records = [make_record(rng, "2021", 2023, organ) for organ, _ in ORGANS[:2]]  # one province, one year
    for i, record in enumerate(records):
        (folder / f"r{i}.txt").write_bytes(RENDERERS["text"].write(record, RenderOptions(layout="pipe", seed=i)))
    (folder / "r9-copy.txt").write_bytes((folder / "r0.txt").read_bytes())
    dest = tmp_path / "ds"
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        assert cluster.to_dataset([str(folder)], dest, client, batch_size=1).reports == 3
        assert len(list((dest / "cells").rglob("*.parquet"))) == 3  # the copy's cells in a file of their own
        (total,) = cluster.totals(dest, "t3.new.total", (), client=client)
        (rates,) = cluster.rates(dest, (), client=client)
        findings = cluster.findings_by_rule(dest, (), client=client)
    assert total["reports"] == 2
    assert total["t3.new.total"] == sum(r.value("t3.new.total") for r in records)
    assert rates["reports"] == 2
    assert rates["handled"] == sum(figures_row(r)["new"] + figures_row(r)["carried_in"] for r in records)
    with Corpus(tmp_path / "c.db") as c:
        c.add_many([prepare(parse(p.read_bytes(), str(p)), p.read_bytes()) for p in sorted(folder.iterdir())])
        c.refresh()
        assert c.count() == 2
        assert [total] == c.totals("t3.new.total", by=())
        assert [rates] == c.rates(by=())
        assert findings == c.findings_by_rule(by=())


def test_findings_by_rule_match_the_corpus(made, corpus):
    _, dest, client, *_ = made
    dask = cluster.findings_by_rule(dest, (), client=client)
    assert dask == corpus.findings_by_rule(by=())
    rules = {r["rule"]: r for r in dask}
    assert rules["XYEAR-CARRY"]["findings"] == 1 and rules["XYEAR-COPY"]["reports"] == 2
    by_year = cluster.findings_by_rule(dest, ("year", "province"), client=client)
    assert by_year == corpus.findings_by_rule(by=("year", "province"))


def test_the_commands_over_a_dataset(made, corpus):
    """``ogi crossyear DATASET`` and ``ogi stats --dataset`` print the figures the corpus prints (in this process)."""
    import json

    from typer.testing import CliRunner

    from ogi.cli import app

    generated, dest, *_ = made
    runner = CliRunner()
    result = runner.invoke(app, ["crossyear", str(dest)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # as printed, wrapped to the terminal's width
    assert "未变" in said and "发现3条" in said
    result = runner.invoke(app, ["stats", "--dataset", str(dest), "-k", "t3.new.total", "--by", "year", "-f", "json"])
    assert result.exit_code == 0, result.output
    expected = corpus.totals("t3.new.total", by=("year",))
    for row in expected:
        row.pop("numbers")
    assert json.loads(result.output) == expected
    result = runner.invoke(app, ["stats", "--dataset", str(dest), "--by", "year", "--year", "2023", "-f", "json"])
    assert json.loads(result.output) == corpus.rates(by=("year",), year=2023)
    result = runner.invoke(app, ["stats", "--dataset", str(dest), "--by", "kind"])
    assert result.exit_code == 2 and "只能按year、province分组" in "".join(result.output.split())
    result = runner.invoke(app, ["stats", "--dataset", str(dest), "--organ", "教育局"])
    assert result.exit_code == 2 and "不支持organ" in "".join(result.output.split())
    result = runner.invoke(app, ["crossyear", str(dest.parent / "nothing")])
    assert result.exit_code == 2 and "不是ogiingest--cluster写出的数据集" in "".join(result.output.split())
    # ogi load: the reports, then the cross-year pass as a step of its own, as the corpus's own refresh finds it.
    db = dest.parent / "loaded.db"
    result = runner.invoke(app, ["load", str(dest), "--db", str(db), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert f"入库{len(generated.records)}份报告" in "".join(result.output.split())
    with Corpus(db) as loaded:
        assert loaded.findings_by_rule() == corpus.findings_by_rule()
        assert loaded.refresh() == 0  # nothing left stale: the pass ran
