"""The swimmer plot: its lanes (what each bar and marker stands for, checked against the sample's
dates), the figure (named traces, order, escaping, sizes from 72 to a few hundred patients and on
a slide) and the response dynamics view, including a file without treatment dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma.formatting import plotly_text
from sarcoma.ingest import load_cohort
from sarcoma.plots import PlotStyle, swimmer_figure
from sarcoma.swimmer import MAX_LANES, swimmer_lanes
from sarcoma.synthetic import generate_cohort
from sarcoma.views import ViewContext
from sarcoma.views.survival import ViewOptionError
from sarcoma.views.swimmer import WHAT_IS_MISSING, SwimmerOptions, swimmer_height, swimmer_view

ROOT = Path(__file__).resolve().parent.parent
DPM = 30.4375


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(ROOT / "sample_data" / "sample_cohort.csv")[0]


def months(cohort: pd.DataFrame, column: str) -> pd.Series:
    return (cohort[column] - cohort["treatment_start"]).dt.days / DPM


def trace(fig, name: str):
    return next(t for t in fig.data if t.name == name)


# --------------------------------------------------------------------------- lanes


def test_lanes_are_time_on_treatment_with_the_events_on_it(cohort):
    lanes = swimmer_lanes(cohort)
    lanes_ = lanes.lanes
    assert lanes.n_shown == lanes.n_eligible == lanes.n_total == 72 and lanes.excluded == ()
    # Longest time on treatment first.
    assert (np.diff(lanes_["duration"].to_numpy()) <= 0).all()
    c = cohort.loc[lanes_.index]
    # A bar ends at the treatment end; still on treatment: at the last follow-up, ongoing.
    on = c["on_treatment"].astype(bool).to_numpy()
    assert lanes_["ongoing"].to_numpy().tolist() == on.tolist() and on.sum() == 15  # seed: 15 still on ICI
    np.testing.assert_allclose(lanes_.loc[~on, "duration"], months(c, "treatment_end")[~on], rtol=1e-12)
    np.testing.assert_allclose(lanes_.loc[on, "duration"], months(c, "last_follow_up")[on], rtol=1e-12)
    # Markers where the dates are: 22 first responses, 42 radiological progressions, 37 deaths.
    assert lanes_["response"].notna().sum() == 22 and lanes_["progression"].notna().sum() == 42
    assert lanes_["death"].notna().sum() == 37
    np.testing.assert_allclose(lanes_["response"].dropna(), months(c, "response_date").dropna(), rtol=1e-12)


def test_lanes_above_the_cap_are_evenly_spaced_over_the_order():
    big = generate_cohort(1000, seed=3)
    lanes = swimmer_lanes(big, max_lanes=100)
    assert lanes.n_eligible == 1000 and lanes.n_shown == 100 and lanes.capped
    full = swimmer_lanes(big, max_lanes=10_000).lanes
    # Every shown lane is one of the full order, in that order, from the longest to the shortest.
    assert list(lanes.lanes.index) == [i for i in full.index if i in set(lanes.lanes.index)]
    assert lanes.lanes.index[0] == full.index[0] and lanes.lanes.index[-1] == full.index[-1]


# --------------------------------------------------------------------------- figure


def test_figure_has_one_bar_per_patient_and_named_marker_traces(cohort):
    fig = swimmer_figure(cohort, color_by="best_response")
    names = [t.name for t in fig.data]
    assert names == ["CR", "PR", "SD", "PD", "NE", "Follow-up after treatment", "Still on treatment",
                     "Response (first CR/PR)", "Progression", "Death"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert sum(len(b.x) for b in bars) == 72
    assert len(bars[0].x) == 3 and len(bars[1].x) == 19  # CR 3, PR 19 (Table 4)
    assert trace(fig, "PR").marker.color == "#56B4E9"  # the response colours of every page
    assert len(trace(fig, "Still on treatment").x) == 15
    assert len(trace(fig, "Response (first CR/PR)").x) == 22
    assert len(trace(fig, "Progression").x) == 42 and len(trace(fig, "Death").x) == 37
    # The longest lane is at the top: the largest y carries the longest bar.
    ys = np.concatenate([b.y for b in bars])
    xs = np.concatenate([b.x for b in bars])
    assert xs[np.argmax(ys)] == pytest.approx(xs.max())
    # At 72 patients every lane carries its patient ID.
    assert len(fig.layout.yaxis.ticktext) == 72 and "SYN-001" in fig.layout.yaxis.ticktext


def test_figure_by_regimen_class(cohort):
    fig = swimmer_figure(cohort, color_by="regimen_class")
    bars = {t.name: len(t.x) for t in fig.data if t.type == "bar"}
    assert bars == {"ICI monotherapy": 43, "Double ICI": 5, "ICI + TKI": 21, "ICI + chemotherapy": 3}  # seed's regimens
    with pytest.raises(ValueError, match="best_response, regimen_class"):
        swimmer_figure(cohort, color_by="histotype")


def test_patient_ids_are_text_and_escaped(cohort):
    hostile = cohort.head(5).copy()
    hostile["patient_id"] = ['<a href="http://evil">x</a>', "<b>2</b>", "%{x}", "P&4", "P5"]
    fig = swimmer_figure(hostile)
    spec = fig.to_json()
    for tag in ("<a href", "<b>2", "\\u003ca href", "\\u003cb\\u003e2"):  # as typed or as Plotly's JSON writes '<'
        assert tag not in spec
    # A hover template variable in an ID is defused: shown as typed, never evaluated.
    assert '"%{x}"' not in spec and '"%&#123;x}"' in spec
    assert "&lt;b&gt;2&lt;/b&gt;" in fig.layout.yaxis.ticktext
    hover_ids = {row[0] for t in fig.data if t.type == "bar" for row in t.customdata}
    assert hover_ids == {plotly_text(i) for i in hostile["patient_id"]}  # the hover keeps the ID


def test_a_few_hundred_patients_thin_lanes_hidden_labels_bounded_payload():
    big = generate_cohort(3000, seed=1)
    lanes = swimmer_lanes(big)
    assert lanes.n_shown == MAX_LANES
    fig = swimmer_figure(big, lanes=lanes)
    assert sum(len(t.x) for t in fig.data if t.type == "bar") == MAX_LANES
    assert list(fig.layout.yaxis.tickvals) == [] and fig.layout.yaxis.title.text == f"Patients (n = {MAX_LANES})"
    # Bounded: under 100 kB whatever the cohort size; the plot area stops growing.
    assert len(fig.to_json()) < 100_000
    assert fig.layout.height < 1700
    small = swimmer_figure(big.head(72))
    assert small.layout.height < fig.layout.height


def test_presentation_and_slide_sizes(cohort):
    screen = swimmer_figure(cohort)
    big = swimmer_figure(cohort, style=PlotStyle.presentation())
    assert big.layout.font.size == 22 and big.layout.height > screen.layout.height  # thicker lanes
    slides = PlotStyle.slides()
    slide = swimmer_figure(cohort, style=slides, height=swimmer_height(slides))
    assert slide.layout.height == int(1.5 * slides.height)  # fixed for the slide: the lanes share it
    assert swimmer_height(PlotStyle()) is None
    # Presentation mode: the whole plot, time axis included, on one 1920x1080 screen.
    shown = swimmer_figure(cohort, style=PlotStyle.presentation(), height=swimmer_height(PlotStyle.presentation()))
    assert shown.layout.height == 900 and shown.layout.font.size == 22


# --------------------------------------------------------------------------- view


def test_view_on_the_sample(cohort):
    view = swimmer_view(cohort, SwimmerOptions(), ViewContext(dataset=cohort))
    assert view.warnings == ()
    assert [f.key for f in view.figures] == ["swimmer"]
    assert view.lines[0] == "Time to response: median 2.8 months (range 1.4-5.1), n = 22 responders (CR/PR) with a response date"
    assert view.lines[1].startswith("Duration of response: median 27.0 months (95% CI 5.5-not reached), n = 22, 7 events")
    assert view.lines[2].startswith("Time to treatment failure: median 3.8 months (95% CI 2.3-5.3), n = 72, 57 events")
    table = view.tables[0].table
    assert table["Applies to"].tolist() == ["responders (CR/PR) with a response date", "all treated patients with a treatment start date"]
    assert view.facts == {"time_to_response": True, "swimmer": True}
    with pytest.raises(ViewOptionError):
        SwimmerOptions(color_by="sex")


def test_view_follows_the_selection(cohort):
    sub = cohort[cohort["histotype"] == "UPS"]
    view = swimmer_view(sub, SwimmerOptions(color_by="regimen_class"), ViewContext(dataset=cohort))
    bars = [t for t in view.figures[0].figure.data if t.type == "bar"]
    assert sum(len(b.x) for b in bars) == len(sub)
    assert view.figures[0].notes[0].startswith(f"One lane per patient ({len(sub)} of {len(sub)} in the selection)")


@pytest.mark.parametrize("dropped", [("treatment_end",), ("treatment_start", "treatment_end", "response_date",
                                                          "progression_date", "death_date", "last_follow_up")])
def test_view_without_treatment_dates_says_what_is_missing(cohort, dropped):
    view = swimmer_view(cohort.drop(columns=list(dropped)), SwimmerOptions(), ViewContext(dataset=cohort))
    assert view.figures == ()
    assert WHAT_IS_MISSING["treatment_end"] in view.warnings
    if "response_date" in dropped:
        assert WHAT_IS_MISSING["response_date"] in view.warnings and view.lines == ()
    else:  # DoR and TTR still come from the response dates
        assert view.lines[0].startswith("Time to response: median 2.8 months")
        assert [r for r in view.tables[0].table["Endpoint"]] == ["Duration of response"]


def test_view_lists_patients_without_a_lane(cohort):
    broken = cohort.copy()
    broken.loc[broken.index[:3], "treatment_end"] = broken.loc[broken.index[:3], "treatment_start"] - pd.Timedelta(days=5)
    broken.loc[broken.index[:3], "on_treatment"] = False
    view = swimmer_view(broken, SwimmerOptions(), ViewContext(dataset=cohort))
    assert "No lane: 3 patient(s) — the treatment end date is before treatment start." in view.figures[0].notes
