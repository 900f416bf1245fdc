"""Response dynamics view: the swimmer plot (one lane per patient) with the numbers that go
with it: time to response (median and range), duration of response and time to treatment
failure (Kaplan-Meier medians and rates), each with whom it applies to.

A file without the dates these need gets the view's explanation of what is missing (which
column, what it holds) instead of a figure, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.endpoints import ENDPOINTS, endpoint_analysis, get_endpoint
from sarcoma.formatting import decimal_text
from sarcoma.km_summary import CONF_TYPES, survival_by_group
from sarcoma.plots import SWIMMER_COLOR_BY, PlotStyle, swimmer_figure
from sarcoma.swimmer import MAX_LANES, NEEDED, swimmer_lanes
from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View
from sarcoma.views.survival import check_choice

RATE_TIMES = (6.0, 12.0)
KM_ENDPOINTS = ("DoR", "TTF")
WHAT_IS_MISSING = {
    "treatment_start": "There are no treatment start dates (column treatment_start, the date ICI started): every "
                       "time here is measured from the start of ICI, so none can be shown.",
    "treatment_end": "There are no treatment end dates (column treatment_end: the date of the last ICI dose or of "
                     "permanent discontinuation, blank while on treatment), so time on treatment (time to treatment "
                     "failure) and the swimmer plot cannot be drawn.",
    "response_date": "There are no response dates (column response_date: the date of the first documented CR or PR), "
                     "so duration of response and time to response cannot be measured and the swimmer plot shows no "
                     "response onset.",
}


@dataclass(frozen=True)
class SwimmerOptions:
    color_by: str = "best_response"

    def __post_init__(self) -> None:
        check_choice(self.color_by, SWIMMER_COLOR_BY, "swimmer plot colour")


def missing_dates(cohort: pd.DataFrame) -> list[str]:
    """The date columns of response dynamics that the cohort lacks or leaves blank, in the order
    they matter (start, end of treatment, response)."""
    return [c for c in (*NEEDED, "response_date") if c not in cohort or not cohort[c].notna().any()]


def time_to_response_line(cohort: pd.DataFrame) -> tuple[str | None, list[str]]:
    """'Time to response (n = 22 responders with a response date): median 2.8 months (range
    1.4-5.1)' and the notes on the responders left out."""
    endpoint = get_endpoint("TTR")
    data, reasons = endpoint_analysis(cohort, "TTR")
    notes = _left_out(reasons, endpoint.key, skip_not_eligible=True)
    if data.empty:
        return None, notes
    t = data["time"].to_numpy(float)
    line = (f"{endpoint.title}: median {decimal_text(float(np.median(t)), 1)} months "
            f"(range {decimal_text(float(t.min()), 1)}-{decimal_text(float(t.max()), 1)}), n = {len(t)} {endpoint.eligibility}")
    return line, notes


def _left_out(reasons: pd.Series, key: str, *, skip_not_eligible: bool = False) -> list[str]:
    # A column missing from the whole file is said once, in the view's warnings.
    counts = reasons.dropna().value_counts(sort=False)
    return [f"{key}: {n} patient(s) not analysed — {reason}." for reason, n in counts.items()
            if not (skip_not_eligible and str(reason).startswith("not a responder")) and not str(reason).startswith("the file has no")]


def dynamics_table(cohort: pd.DataFrame, conf_type: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """DoR and TTF: whom they apply to, n, events, median (95% CI) and the 6- and 12-month
    rates, from the Kaplan-Meier summary the Survival page uses; the result lines and notes."""
    rows, lines, notes = [], [], []
    for key in KM_ENDPOINTS:
        endpoint = ENDPOINTS[key]
        data, reasons = endpoint_analysis(cohort, key)
        notes += _left_out(reasons, key, skip_not_eligible=True)
        if data.empty:
            continue
        res = survival_by_group(cohort, key, None, conf_type=conf_type, rate_times=RATE_TIMES, follow_up=False, summary_only=True)
        row = res.table.iloc[0]
        rows.append({
            "Endpoint": endpoint.title, "Applies to": endpoint.eligibility, "n": int(row["n"]), "Events": int(row["Events"]),
            "Median (95% CI), months": row["Median (95% CI), months"],
            **{f"{t:g}-month rate (95% CI)": row[f"{t:g}-month rate (95% CI)"] for t in RATE_TIMES},
        })
        lines.append(f"{endpoint.title}: median {_number(row['median'])} months (95% CI {_number(row['median_lower'])}-"
                     f"{_number(row['median_upper'])}), n = {int(row['n'])}, {int(row['Events'])} events")
    return pd.DataFrame(rows), lines, notes


def _number(months: float) -> str:
    return "not reached" if not np.isfinite(months) else f"{months:.1f}"


PRESENTATION_SWIMMER_HEIGHT = 900  # a 1920x1080 projector, under presentation mode's compact header


def swimmer_height(style: PlotStyle) -> int | None:
    """A slide's swimmer plot is 1.5 x the slide figure height: text stays at 14 pt once the
    picture fits the slide, and 72 lanes keep about 6 px each. In presentation mode the whole
    plot, time axis included, fits one projector screen (lanes thin out; IDs stay in the hover).
    On a normal page the lanes set it."""
    if style == PlotStyle.slides():
        return int(1.5 * style.height)
    if style == PlotStyle.presentation():
        return PRESENTATION_SWIMMER_HEIGHT
    return None


def swimmer_view(cohort: pd.DataFrame, options: SwimmerOptions, ctx: ViewContext) -> View:
    title = "Response dynamics: time on treatment and response"
    missing = missing_dates(cohort)
    warnings = [WHAT_IS_MISSING[c] for c in missing]
    ttr_line, ttr_notes = time_to_response_line(cohort)
    conf_type = "log-log"
    table, km_lines, km_notes = dynamics_table(cohort, conf_type)
    lines = [x for x in (ttr_line, *km_lines) if x]
    figures = []
    lanes = swimmer_lanes(cohort, MAX_LANES)
    notes = []
    if lanes.n_shown:
        label = SWIMMER_COLOR_BY[options.color_by]
        # Best responses and regimen classes have fixed colours (plots.group_colors), as on every page.
        fig = swimmer_figure(cohort, color_by=options.color_by, title=f"Swimmer plot: time on treatment, by {label.lower()}",
                             style=ctx.style, height=swimmer_height(ctx.style), lanes=lanes)
        block_notes = [f"One lane per patient ({lanes.n_shown} of {lanes.n_total} in the selection), longest time on treatment "
                       "at the top: a bar from the start of ICI to the end of treatment, an arrow when still on treatment at the "
                       "last follow-up, a grey line for follow-up after treatment."]
        if lanes.capped:
            block_notes.append(f"{lanes.n_eligible} patients have a lane, too many to read: {lanes.n_shown} of them, evenly spaced "
                               f"in order of time on treatment (about one in {lanes.n_eligible / lanes.n_shown:.1f}), are drawn. "
                               "Filter the selection to see each one.")
        block_notes += [f"No lane: {n} patient(s) — {reason}." for reason, n in lanes.excluded
                        if not reason.startswith("the file has no")]
        figures.append(FigureBlock("swimmer", f"Swimmer plot by {label.lower()}", fig, notes=tuple(block_notes)))
    notes += ttr_notes + km_notes
    tables = (TableBlock("response-dynamics", "Duration of response and time to treatment failure", table),) if len(table) else ()
    shown = bool(lines or figures)
    if not shown and not missing:  # (a missing column is already said above)
        warnings.append("Nothing to show for this selection: no patient has the dates response dynamics need.")
    methods = "" if not shown else " ".join([
        get_endpoint("TTR").definition,
        *(ENDPOINTS[k].definition for k in KM_ENDPOINTS),
        f"DoR and TTF: Kaplan-Meier estimates with Greenwood variance; 95% CI {CONF_TYPES[conf_type]}.",
        "The swimmer plot draws each patient's time on treatment (the TTF data) with the first CR/PR, progression and death "
        "on it, in months from the start of ICI (days / 30.4375).",
    ])
    return View(
        key="swimmer", chapter="Response", title=title, lines=tuple(lines), figures=tuple(figures), tables=tables,
        notes=tuple(notes), warnings=tuple(warnings), methods=methods, options=options,
        facts={"time_to_response": ttr_line is not None, "swimmer": bool(figures)},
    )
