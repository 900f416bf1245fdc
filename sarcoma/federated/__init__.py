"""Federated multi-centre pooling: each centre shares aggregate counts, never patient rows.

Kaplan-Meier estimates, the log-rank family (stratified by centre too) and response
proportions depend only on counts per time and group, so the coordinator's pooled results are
those of the pooled patient rows, exactly:

* centre: `export_aggregates(cohort, centre=..., min_cell=5, time_precision=None)` -> bytes of
  a self-describing JSON file (life tables per endpoint overall and per level of each
  baseline grouping, best-response counts, Table 1 counts), disclosure-controlled
  (`sarcoma.federated.disclosure`);
* coordinator: `read_aggregates(bytes, name)` -> `AggregateFile` (checked, plain errors),
  `pool([...])` -> `Pooled` with `kaplan_meier`, `curves`, `logrank` (stratified by centre or
  not), `objective_response`, `response_table`, `table1`; `peto_by_centre` and
  `medians_by_centre` for between-centre heterogeneity.
"""

from sarcoma.federated.disclosure import (
    MERGED,
    SMALL_CELL_MODES,
    TIME_PRECISIONS,
    DisclosureError,
    coarsen_times,
)
from sarcoma.federated.export import (
    FORMAT,
    SCHEMA_VERSION,
    aggregate_document,
    document_bytes,
    export_aggregates,
    shared_groupings,
)
from sarcoma.federated.heterogeneity import Heterogeneity, medians_by_centre, peto_by_centre
from sarcoma.federated.pool import CENTRE, Pooled, PoolError, pool
from sarcoma.federated.reader import AggregateFile, AggregateFileError, read_aggregates

__all__ = [
    "CENTRE", "FORMAT", "MERGED", "SCHEMA_VERSION", "SMALL_CELL_MODES", "TIME_PRECISIONS", "AggregateFile",
    "AggregateFileError", "DisclosureError", "Heterogeneity", "PoolError", "Pooled", "aggregate_document",
    "coarsen_times", "document_bytes", "export_aggregates", "medians_by_centre", "peto_by_centre", "pool",
    "read_aggregates", "shared_groupings",
]
