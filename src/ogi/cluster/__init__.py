"""A national run on Dask (issue #12): parse on a cluster into a Parquet dataset, audit and count it there.

``dataset``        ``to_dataset``: files parsed on the workers, in batches, into a Parquet dataset partitioned
                   by year and province (reports with their figures, cells, findings, reading problems,
                   failures); resumable
``load``           ``load``: a dataset into a corpus (SQLite or PostgreSQL) by its bulk store path
``crossyear_job``  ``cross_year``: the cross-year rules of ``ogi.crossyear`` as a Dask job over the dataset, for
                   corpora that do not fit a database on one box; their findings a table of the dataset
``stats``          ``totals``, ``rates``, ``findings_by_rule``: the corpus figures as Dask jobs over the dataset
``compact``        ``compact``: a dataset's small files merged, one file a table and partition (what the stats
                   and the load open), without a moment where a row is lost or counted twice

Dask, distributed and fsspec are the optional extra ``ogi[cluster]``: this package is imported only by the
commands that use it, so the embedded default never needs them.
"""

from .compact import Compacted, compact
from .crossyear_job import CrossYear, cross_year, finished_pass
from .dataset import (
    BATCH_SIZE,
    DONE,
    PARTITIONS,
    SCHEMAS,
    TABLES,
    UNKNOWN_PROVINCE,
    Summary,
    batch_id,
    expand,
    finished,
    local_cluster,
    open_client,
    organ_of,
    parse_batch,
    province_of,
    read_table,
    to_dataset,
)
from .load import Loaded, load
from .stats import findings_by_rule, rates, totals

__all__ = [
    "BATCH_SIZE",
    "DONE",
    "PARTITIONS",
    "SCHEMAS",
    "TABLES",
    "UNKNOWN_PROVINCE",
    "Compacted",
    "CrossYear",
    "Loaded",
    "Summary",
    "batch_id",
    "compact",
    "cross_year",
    "expand",
    "findings_by_rule",
    "finished",
    "finished_pass",
    "load",
    "local_cluster",
    "open_client",
    "organ_of",
    "parse_batch",
    "province_of",
    "rates",
    "read_table",
    "to_dataset",
    "totals",
]
