"""The one exception a user-caused ingest failure raises (re-exported by `sarcoma.ingest`)."""

from __future__ import annotations

from collections.abc import Sequence

from sarcoma.errors import SarcomaError


class CohortReadError(SarcomaError):
    """The file cannot be read as a cohort table; the message says why and what to do.

    When required columns were not recognised, `missing_columns` names the canonical fields
    that are missing and `unmatched_columns` the file's headers that were not recognised, so
    the user can map them by hand (`load_cohort(..., column_map=...)`). `unmatched_columns`
    holds at most `ingest_limits.MAX_MAPPING_COLUMNS` headers (the likeliest candidates for the
    missing fields first, then in file order): enough to draw a mapping form.
    `unmatched_total` counts them all; `unmatched_not_shown` is how many were left out.
    """

    def __init__(
        self,
        message: str,
        *,
        missing_columns: Sequence[str] = (),
        unmatched_columns: Sequence[str] = (),
        unmatched_total: int | None = None,
    ) -> None:
        super().__init__(message)
        self.missing_columns = tuple(missing_columns)
        self.unmatched_columns = tuple(unmatched_columns)
        self.unmatched_total = len(self.unmatched_columns) if unmatched_total is None else unmatched_total

    @property
    def unmatched_not_shown(self) -> int:
        return self.unmatched_total - len(self.unmatched_columns)
