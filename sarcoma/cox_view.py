"""How the Cox tables read: every p named by its test, HR to 2 decimals, p via the one formatter.

Shared by `sarcoma.cox` (multivariable table) and the univariable table of the Landmark & Cox
page; the numbers themselves come from `sarcoma.cox`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sarcoma.coxfit import ChiSquareTest
from sarcoma.coxzph import DEFAULT_TRANSFORM
from sarcoma.formatting import p_value_text
from sarcoma.km_summary import format_p

__all__ = ["WALD", "hr_ci_text", "model_tests_text", "n_events_text", "univariable_display"]

WALD = "Wald"


def n_events_text(n: float, events: float) -> str:
    return f"{int(n)} ({int(events)})" if np.isfinite(n) else ""


def hr_ci_text(hr: float, lower: float, upper: float) -> str:
    return f"{hr:.2f} ({lower:.2f}-{upper:.2f})" if np.isfinite(hr) else "not estimable"


def model_tests_text(tests: Sequence[ChiSquareTest], concordance: float, concordance_se: float) -> str:
    """R's summary(coxph) footer in words: the three global tests and the concordance."""
    parts = [f"{t.name} = {t.statistic:.2f} on {t.df} df, {format_p(t.p_value)}" for t in tests]
    parts.append(f"Concordance = {concordance:.3f} (se = {concordance_se:.3f})")
    return "; ".join(parts) + "."


def univariable_display(table: pd.DataFrame) -> pd.DataFrame:
    """The univariable table as shown, every p named by its test.

    Per term: patients (events) in the level and its reference, HR (95% CI), Wald p. Per
    covariate (on its first row; a covariate with k levels is tested on k - 1 df): the
    likelihood-ratio and score (log-rank) tests of its model, the concordance and the
    Grambsch-Therneau proportional-hazards test, as R's summary(coxph) and cox.zph report them.
    """
    first = ~table["covariate"].duplicated()
    transform = table["ph_transform"].dropna().iloc[0] if table["ph_transform"].notna().any() else DEFAULT_TRANSFORM

    def per_covariate(values: pd.Series, fmt) -> list[str]:
        return [fmt(v) if f and pd.notna(v) else "" for v, f in zip(values, first, strict=True)]

    n_ev = [
        n_events_text(n, e) if pd.notna(n) else (n_events_text(tn, te) if pd.notna(h) else "")
        for n, e, tn, te, h in zip(table["n_level"], table["events_level"], table["n"], table["n_events"], table["hr"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Term": table["label"].to_numpy(),
            "n (events)": n_ev,
            "Reference n (events)": [n_events_text(n, e) if pd.notna(n) else "" for n, e in zip(table["n_reference"], table["events_reference"], strict=True)],
            "HR (95% CI)": [hr_ci_text(h, lo, hi) for h, lo, hi in zip(table["hr"], table["lower"], table["upper"], strict=True)],
            f"p ({WALD})": [p_value_text(p) for p in table["p_value"]],
            "p (likelihood ratio)": per_covariate(table["lr_p_value"], p_value_text),
            "p (score, log-rank)": per_covariate(table["score_p_value"], p_value_text),
            "Concordance (se)": [
                f"{c:.3f} ({se:.3f})" if f and pd.notna(c) else ""
                for c, se, f in zip(table["concordance"], table["concordance_se"], first, strict=True)
            ],
            f"PH test p (Grambsch-Therneau, {transform})": per_covariate(table["ph_p_value"], p_value_text),
            "Note": table["note"].to_numpy(),
        }
    )
