"""The table under a Kaplan-Meier figure: number at risk, and for the KMunicate layout (Morris
et al., BMJ Open 2019;9:e030215) the cumulative numbers censored and of events, per group.

At a time t: at risk = patients whose time is t or later (still under observation just before
t); events and censored = cumulative counts at times up to and including t, as R's
summary(survfit, times = t, extend = TRUE) gives them summed over the intervals (pinned to R
in tests/test_risk_table.py). Beyond the last follow-up: 0 at risk and the final totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

AT_RISK = "At risk"
CENSORED = "Censored"
EVENTS = "Events"
KMUNICATE_ROWS: tuple[str, ...] = (AT_RISK, CENSORED, EVENTS)
LAYOUTS: dict[str, str] = {
    "at_risk": "Number at risk",
    "kmunicate": "KMunicate (at risk, censored, events)",
}


class LifeTableCurve(Protocol):
    """What a Kaplan-Meier result carries per distinct time (sarcoma.survival.KMResult)."""

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray


def risk_counts(curve: LifeTableCurve, times: Sequence[float]) -> pd.DataFrame:
    """At risk, cumulative censored and cumulative events at each of `times` for one curve."""
    t = np.asarray(curve.time, float)
    at = np.asarray(times, float)
    first_at_or_after = np.searchsorted(t, at, side="left")
    at_risk = np.where(first_at_or_after < t.size, np.asarray(curve.at_risk)[np.minimum(first_at_or_after, t.size - 1)], 0)
    through = np.searchsorted(t, at, side="right")  # rows with time <= each t
    cum_events = np.concatenate([[0], np.cumsum(curve.events)])[through]
    cum_censored = np.concatenate([[0], np.cumsum(curve.censored)])[through]
    return pd.DataFrame(
        {AT_RISK: at_risk.astype(int), CENSORED: cum_censored.astype(int), EVENTS: cum_events.astype(int)},
        index=pd.Index(list(times), name="time"),
    )


def risk_table(curves: Mapping[str, LifeTableCurve], times: Sequence[float], layout: str = "at_risk") -> pd.DataFrame:
    """The risk table of a figure: one row per group ("at_risk"), or three per group
    ("kmunicate": at risk, censored, events; index (group, measure)); columns are the times."""
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown risk table layout {layout!r}; choose one of {', '.join(LAYOUTS)}.")
    counts = {label: risk_counts(curve, times) for label, curve in curves.items()}
    if layout == "at_risk":
        return pd.DataFrame([c[AT_RISK].to_numpy() for c in counts.values()], index=list(counts), columns=list(times))
    rows, index = [], []
    for label, c in counts.items():
        for measure in KMUNICATE_ROWS:
            rows.append(c[measure].to_numpy())
            index.append((label, measure))
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["group", "measure"]), columns=list(times))
