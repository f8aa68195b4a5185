"""A dataset into a corpus (``ogi load``): its reports by the bulk store path, failures recorded, then the
cross-year rules once over the whole corpus."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model import OgiError, Record
from .dataset import DONE, read_table


@dataclass
class Loaded:
    added: int = 0
    unchanged: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"入库 {self.added} 份报告，已在库中 {self.unchanged} 份，记录失败 {self.failures} 份"


def load(
    dest: str | os.PathLike, corpus, *, chunk: int = 500, progress: Callable[[int, int], None] | None = None
) -> Loaded:
    """A dataset into ``corpus`` (an ``ogi.corpus.Corpus``): its bulk store path in chunks, failures recorded,
    then the cross-year rules once. Loading twice adds nothing: reports are stored by sha256."""
    from ..corpus.rows import prepare  # with the corpus the caller opened
    from ..pipeline import PARSER_VERSION  # the failures' parser version, as ``ogi ingest`` records it

    dest = Path(dest)
    if not (dest / DONE).is_dir():
        raise OgiError(str(dest), "不是 ogi ingest --cluster 写出的数据集（缺少 _done 清单）")
    known = corpus.known(failures=False)  # sha256 → parser version of the stored reports
    table = read_table(dest, "reports", ["sha256", "parser_version", "record"])
    result = Loaded()
    total = table.num_rows
    done = 0
    for batch in table.to_batches(max_chunksize=chunk):
        preps = []
        columns = (batch.column(name).to_pylist() for name in ("sha256", "parser_version", "record"))
        for sha, version, text in zip(*columns):
            if known.get(sha) == version:  # stored by this parser: nothing to decode (another version: re-stored)
                result.unchanged += 1
                continue
            known[sha] = version
            record = Record.model_validate_json(text)
            preps.append(prepare(record))
        # Resumable: a chunk a server crash lost is loaded by the next run like any chunk not stored yet.
        for outcome in corpus.add_many(preps, resumable=True) if preps else []:
            if isinstance(outcome, OgiError):
                result.errors.append(str(outcome))
            elif outcome.status in ("added", "reparsed"):
                result.added += 1
            else:
                result.unchanged += 1
        done += batch.num_rows
        if progress:
            progress(done, total)
    for row in read_table(dest, "failures").to_pylist():
        if row["sha256"] in known:
            continue
        corpus.record_failure(row["source"], row["sha256"], row["error"], row["reason"], PARSER_VERSION)
        result.failures += 1
    corpus.refresh()
    return result
