"""The endpoint registry: every time-to-event endpoint the tool analyses, in one place.

An `Endpoint` says what the endpoint is called (key, title, the name a methods paragraph uses),
how it is defined (a methods sentence), which patients it applies to, and how its time and
event come from the cohort's canonical columns. Pages, views, the report, the methods paragraph
and the data-quality accounting loop over `ENDPOINTS`; adding an endpoint is one entry here
plus, when it is derived from dates, its derivation function.

`endpoint_data(cohort, key)` is the one way to get an endpoint's analysis data: a DataFrame
(time, event) indexed like the cohort, for the eligible patients with a usable time and event.
`endpoint_exclusions(cohort, key)` says, for every other patient, why they are not analysed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.errors import SarcomaError


class UnknownEndpointError(SarcomaError):
    """An endpoint key the registry does not know; the message lists the known ones."""


@dataclass(frozen=True)
class Endpoint:
    key: str  # short name on pages and in the URL: "PFS"
    title: str  # "Progression-free survival"
    name: str  # in running text: "progression-free survival (PFS)"
    event_words: str  # what an event is, in a sentence: "progressed or died"
    definition: str  # the methods sentence
    eligibility: str  # which patients the endpoint applies to, said on every view
    columns: tuple[str, str] | None  # (time, event) columns of the cohort, when stored directly
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # else: cohort -> (time, event)
    eligible: Callable[[pd.DataFrame], pd.Series] | None = None  # None: every patient
    not_eligible_reason: str = ""

    def raw(self, cohort: pd.DataFrame) -> pd.DataFrame:
        """(time, event) for every patient of `cohort` (NaN where not recorded)."""
        if self.derive is not None:
            return self.derive(cohort)
        tcol, ecol = self.columns  # type: ignore[misc]
        nan = pd.Series(np.nan, index=cohort.index)
        time = pd.to_numeric(cohort[tcol], errors="coerce") if tcol in cohort else nan
        event = pd.to_numeric(cohort[ecol], errors="coerce") if ecol in cohort else nan
        return pd.DataFrame({"time": time.astype(float), "event": event.astype(float)}, index=cohort.index)

    def is_eligible(self, cohort: pd.DataFrame) -> pd.Series:
        if self.eligible is None:
            return pd.Series(True, index=cohort.index)
        return self.eligible(cohort).fillna(False).astype(bool)


ENDPOINTS: dict[str, Endpoint] = {
    e.key: e
    for e in (
        Endpoint(
            key="PFS",
            title="Progression-free survival",
            name="progression-free survival (PFS)",
            event_words="progressed or died",
            definition=(
                "Progression-free survival (PFS) was measured from the start of immune checkpoint inhibitor "
                "(ICI) therapy to radiological progression or death from any cause, whichever came first; "
                "patients alive without progression were censored at their last follow-up."
            ),
            eligibility="all treated patients",
            columns=("pfs_months", "pfs_event"),
        ),
        Endpoint(
            key="OS",
            title="Overall survival",
            name="overall survival (OS)",
            event_words="died",
            definition=(
                "Overall survival (OS) was measured from the start of ICI therapy to death from any cause; "
                "patients alive were censored at their last follow-up."
            ),
            eligibility="all treated patients",
            columns=("os_months", "os_event"),
        ),
    )
}


def get_endpoint(key: str) -> Endpoint:
    try:
        return ENDPOINTS[key]
    except KeyError:
        raise UnknownEndpointError(f"Unknown endpoint {key!r}; choose one of {', '.join(ENDPOINTS)}.") from None


def available_endpoints(cohort: pd.DataFrame) -> list[str]:
    """Endpoints with at least one analysable patient in `cohort` (registry order)."""
    return [key for key in ENDPOINTS if len(endpoint_data(cohort, key))]


def endpoint_data(cohort: pd.DataFrame, key: str) -> pd.DataFrame:
    """(time in months, event 0/1) for the patients the endpoint applies to and who have both,
    indexed like `cohort`. Every other patient is accounted for by `endpoint_exclusions`."""
    endpoint = get_endpoint(key)
    data = endpoint.raw(cohort)
    keep = endpoint.is_eligible(cohort) & data["time"].notna() & data["event"].notna()
    out = data.loc[keep]
    return pd.DataFrame({"time": out["time"].astype(float), "event": out["event"].astype(int)}, index=out.index)


def endpoint_exclusions(cohort: pd.DataFrame, key: str) -> pd.Series:
    """Why each patient of `cohort` is not in the endpoint's analysis (indexed like the cohort;
    None for the analysed). Not eligible comes first, then a missing time or event."""
    endpoint = get_endpoint(key)
    data = endpoint.raw(cohort)
    eligible = endpoint.is_eligible(cohort)
    reason = pd.Series(None, index=cohort.index, dtype=object)
    reason[~eligible] = endpoint.not_eligible_reason or f"not eligible for {endpoint.key}"
    unusable = eligible & (data["time"].isna() | data["event"].isna())
    reason[unusable] = f"no usable {endpoint.key} time or event recorded (see the data-quality report)"
    return reason
