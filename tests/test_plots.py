"""Figure builders: what is drawn equals what was computed, and figures stay small."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from sarcoma.plots import (
    OKABE_ITO,
    PlotStyle,
    censor_marks,
    forest_figure,
    group_colors,
    km_figure,
    thin_steps,
    waterfall_figure,
)


@dataclass
class LifelinesCurve:
    """A curve computed by lifelines, so these tests do not depend on our own estimator."""

    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    censored: np.ndarray
    median: float

    @classmethod
    def fit(cls, t, e):
        kmf = KaplanMeierFitter().fit(t, e)
        table = kmf.event_table.iloc[1:] if kmf.event_table.index[0] == 0 else kmf.event_table
        times = table.index.to_numpy(float)
        ci = kmf.confidence_interval_survival_function_.loc[times]
        return cls(
            times,
            kmf.survival_function_.loc[times].iloc[:, 0].to_numpy(),
            ci.iloc[:, 0].to_numpy(),
            ci.iloc[:, 1].to_numpy(),
            table["censored"].to_numpy(),
            float(kmf.median_survival_time_),
        )


def synthetic(n, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.exponential(10, n)
    c = rng.exponential(20, n)
    return np.minimum(t, c), (t <= c).astype(int)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=3000, unique=True), st.integers(10, 200))
def test_thinned_curve_stays_within_one_cell_of_the_exact_step(times, max_points):
    t = np.sort(np.array(times))
    s = np.linspace(1, 0, len(t))
    tt, ss = thin_steps(t, s, max_points)
    assert tt[0] == t[0] and tt[-1] == t[-1]
    # The drawn step function evaluated at every original time differs by < 1 survival cell,
    # unless it is within one time cell of a kept point.
    drawn = ss[np.searchsorted(tt, t, side="right") - 1]
    t_cell = (t[-1] - t[0]) / max_points
    close_in_time = (t - tt[np.searchsorted(tt, t, side="right") - 1]) <= t_cell
    assert np.all((np.abs(drawn - s) <= 1.0 / max_points + 1e-12) | close_in_time)
    assert len(tt) <= 2 * max_points + 2 or len(t) <= max_points


def test_censor_marks_are_binned_without_losing_counts():
    curve = LifelinesCurve.fit(*synthetic(20_000))
    t, s, c = censor_marks(curve, bins=100)
    assert len(t) <= 100
    assert c.sum() == curve.censored.sum()
    assert np.all(np.diff(t) > 0)


def test_km_figure_shows_given_at_risk_counts_and_annotation():
    curves = {"A": LifelinesCurve.fit(*synthetic(50, 1)), "B": LifelinesCurve.fit(*synthetic(40, 2))}
    at_risk = pd.DataFrame([[50, 20, 5], [40, 10, 2]], index=["A", "B"], columns=[0, 12, 24])
    fig = km_figure(curves, at_risk=at_risk, annotation="Log-rank p = 0.027 (df = 1)")
    texts = [tr.text for tr in fig.data if tr.mode == "text"]
    assert [list(t) for t in texts] == [["50", "20", "5"], ["40", "10", "2"]]
    assert fig.layout.title.subtitle.text == "Log-rank p = 0.027 (df = 1)"  # under the title, off the curves
    names = [tr.name for tr in fig.data if tr.mode == "lines" and tr.showlegend is not False]
    assert names == ["A", "B"]
    # The median drop line stops exactly at lifelines' median.
    median_traces = [tr for tr in fig.data if tr.mode == "lines" and tr.line.dash == "dot"]
    assert median_traces[0].x[1] == curves["A"].median


def test_km_figure_payload_bounded_at_one_million_patients():
    curve = LifelinesCurve.fit(*synthetic(1_000_000, 3))
    fig = km_figure({"All patients": curve}, show_ci=True, at_risk=pd.DataFrame([[1_000_000, 1]], index=["All patients"], columns=[0, 12]))
    assert len(fig.to_json()) <= 150_000


def test_group_colors_are_fixed_for_known_vocabularies_and_distinct():
    a = group_colors(["UPS", "LMS", "Centre 1"])
    b = group_colors(["Centre 1", "LMS"])
    assert a["LMS"] == b["LMS"]
    assert len(set(group_colors(["x", "y", "z", "w"]).values())) == 4
    assert set(group_colors(["x", "y"]).values()) <= set(OKABE_ITO)


def test_forest_marks_flagged_rows_hollow_and_not_reached_dotted():
    table = pd.DataFrame({"label": ["a", "b"], "est": [4.6, 8.5], "lo": [3.2, 2.0], "hi": [5.9, np.nan], "small": [False, True]})
    fig = forest_figure(table, estimate="est", lower="lo", upper="hi", flag="small")
    markers = next(tr for tr in fig.data if tr.mode == "markers")
    assert list(markers.marker.symbol) == ["square", "square-open"]
    assert fig.data[1].line.dash == "dot"


def test_forest_groups_levels_under_a_heading_with_text_columns_and_two_axes():
    table = pd.DataFrame({
        "variable": ["Histotype", "Histotype", "Line", "Line"], "level": ["UPS", "LMS", "1-2", "≥3"],
        "hr": [1.0, 0.5, 1.0, 2.1], "lo": [1.0, 0.2, 1.0, 1.1], "hi": [1.0, 1.3, 1.0, 4.0], "txt": ["ref", "0.50", "ref", "2.10"],
    })
    fig = forest_figure(table, estimate="hr", lower="lo", upper="hi", label="level", group="variable", columns={"HR (95% CI)": "txt"},
                        log_x=True, reference=1.0, favours=("lower hazard", "higher hazard"))
    ticks = [t.replace("<b>", "").replace("</b>", "").strip() for t in fig.layout.yaxis.ticktext]
    assert ticks == ["Histotype", "UPS", "LMS", "Line", "1-2", "≥3"]  # each variable named once
    texts = next(tr for tr in fig.data if tr.mode == "text" and tr.xaxis == "x2")
    assert list(texts.text) == ["ref", "0.50", "ref", "2.10"]
    marker_y = next(tr for tr in fig.data if tr.mode == "markers").y
    assert list(marker_y) == [4, 3, 1, 0]  # headings take rows 5 and 2
    assert fig.layout.xaxis99.side == "top" and fig.layout.xaxis99.matches == "x"
    assert list(fig.layout.xaxis.tickvals) == [0.2, 0.5, 1.0, 2.0, 5.0]
    favours = [a.text for a in fig.layout.annotations if "hazard" in a.text]
    assert favours == ["← lower hazard", "higher hazard →"]


def test_waterfall_sorted_and_coloured_by_response():
    fig = waterfall_figure(pd.Series([-100, 30, -40, 5, np.nan]), pd.Series(["CR", "PD", "PR", "SD", "NE"]))
    ys = sorted(((x, y) for tr in fig.data for x, y in zip(tr.x, tr.y, strict=True)))
    assert [y for _, y in ys] == [30, 5, -40, -100]
    assert {tr.name for tr in fig.data} == {"CR", "PR", "SD", "PD"}


def test_presentation_style_is_larger():
    p, s = PlotStyle.presentation(), PlotStyle()
    assert p.font_size > s.font_size and p.line_width > s.line_width


def test_km_figure_payload_bounded_with_many_groups_and_bands():
    curves = {f"Group {i}": LifelinesCurve.fit(*synthetic(20_000, 10 + i)) for i in range(12)}
    at_risk = pd.DataFrame([[20_000, 5_000, 10]] * 12, index=list(curves), columns=[0, 12, 24])
    fig = km_figure(curves, at_risk=at_risk, show_ci=True, annotation="Log-rank p < 0.001")
    assert len(fig.to_json()) <= 150_000
    # Binning keeps every censoring: the hover counts add up to lifelines' censored totals.
    marks = [tr for tr in fig.data if tr.mode == "markers" and tr.name != "Censored"]
    assert [int(sum(m.customdata)) for m in marks] == [int(c.censored.sum()) for c in curves.values()]


def test_labels_from_the_file_reach_plotly_escaped():
    """A centre or histotype name is data: Plotly must not render it as a link or markup."""
    from sarcoma.survival import kaplan_meier

    hostile = '<a href="http://evil.example">UPS</a> %{x}'
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1])
    at_risk = pd.DataFrame([[4, 2]], index=[hostile], columns=[0, 2])
    fig = km_figure({hostile: km}, at_risk=at_risk, title=f"OS — {hostile}", annotation=f"p = 0.5\n{hostile}")
    escaped = '&lt;a href="http://evil.example"&gt;UPS&lt;/a&gt; %&#123;x}'
    line = fig.data[0]  # the step line carries the legend name
    assert line.name == escaped and line.meta == escaped and "%{meta}" in line.hovertemplate
    assert list(fig.layout.yaxis2.ticktext) == [escaped]  # at-risk row label
    assert fig.layout.title.text == f"OS — {escaped}"
    assert fig.layout.title.subtitle.text == f"p = 0.5<br>{escaped}"
    serialised = fig.to_json()
    assert "<a href" not in serialised and "\\u003ca" not in serialised and "%{x}" not in serialised


def test_forest_labels_keep_their_line_break_and_escape_the_rest():
    rows = pd.DataFrame({"label": ["Centre:\n<b>X</b> (n=3)"], "estimate": [4.0], "lower": [2.0], "upper": [6.0]})
    fig = forest_figure(rows, estimate="estimate", lower="lower", upper="upper")
    assert list(fig.layout.yaxis.ticktext) == ["Centre:<br>&lt;b&gt;X&lt;/b&gt; (n=3)"]


def _panel_px(fig) -> float:
    """Height in pixels of the curve panel (y axis 1) after margins."""
    inner = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    lo, hi = fig.layout.yaxis.domain
    return inner * (hi - lo)


def test_curve_panel_keeps_its_height_however_many_groups():
    """Nine groups used to squash the curves to ~190 px under the at-risk table."""
    two = {g: LifelinesCurve.fit(*synthetic(40, i)) for i, g in enumerate("AB")}
    nine = {g: LifelinesCurve.fit(*synthetic(40, i)) for i, g in enumerate("ABCDEFGHI")}
    f2 = km_figure(two, at_risk=pd.DataFrame([[40, 10]] * 2, index=list(two), columns=[0, 12]))
    f9 = km_figure(nine, at_risk=pd.DataFrame([[40, 10]] * 9, index=list(nine), columns=[0, 12]), footnote=["note 1", "note 2"])
    assert abs(_panel_px(f2) - _panel_px(f9)) < 2
    assert _panel_px(f9) >= 0.7 * PlotStyle().height
    assert f9.layout.height > f2.layout.height  # the figure grows instead


def test_km_figure_legend_bands_censor_entry_and_footnote():
    curves = {"A": LifelinesCurve.fit(*synthetic(30, 1)), "B": LifelinesCurve.fit(*synthetic(30, 2))}
    fig = km_figure(curves, show_ci=True, legend_labels={"A": "A (n = 30; median 4.6)"}, footnote=["⚠ small group: B"])
    legend = [tr.name for tr in fig.data if tr.showlegend is not False]
    assert legend == ["A (n = 30; median 4.6)", "B", "Censored"]
    bands = [tr for tr in fig.data if tr.fill == "toself"]
    assert len(bands) == 2 and all(tr.mode == "lines" for tr in bands)  # no stray corner markers
    assert [a.text for a in fig.layout.annotations] == ["⚠ small group: B"]
    assert fig.layout.legend.orientation == "v" and fig.layout.legend.x > 1  # right of the curves


def test_kmunicate_risk_table_rows():
    curves = {"A": LifelinesCurve.fit(*synthetic(30, 1)), "B": LifelinesCurve.fit(*synthetic(30, 2))}
    index = pd.MultiIndex.from_product([["A", "B"], ["At risk", "Censored", "Events"]])
    table = pd.DataFrame([[30, 12], [0, 3], [0, 15], [30, 10], [0, 2], [0, 18]], index=index, columns=[0, 12])
    fig = km_figure(curves, at_risk=table)
    assert list(fig.layout.yaxis2.ticktext) == ["A · At risk", "Censored", "Events", "B · At risk", "Censored", "Events"]
    texts = [list(tr.text) for tr in fig.data if tr.mode == "text"]
    assert texts == [["30", "12"], ["0", "3"], ["0", "15"], ["30", "10"], ["0", "2"], ["0", "18"]]


def test_fast_km_figure_is_what_plotly_validates():
    """km_figure skips Plotly's validation for speed: the same figure, validated property by
    property, must be identical (an unknown or misspelt property would raise here)."""
    import json

    import plotly.graph_objects as go

    curves = {"A": LifelinesCurve.fit(*synthetic(60, 1)), "B": LifelinesCurve.fit(*synthetic(40, 2))}
    index = pd.MultiIndex.from_product([["A", "B"], ["At risk", "Censored", "Events"]])
    for at_risk in (pd.DataFrame([[60, 20], [40, 9]], index=["A", "B"], columns=[0, 12]),
                    pd.DataFrame([[60, 20], [0, 3], [0, 37], [40, 9], [0, 2], [0, 29]], index=index, columns=[0, 12])):
        fast = km_figure(curves, at_risk=at_risk, show_ci=True, title="T", annotation="p = 0.1", footnote=["note"],
                         legend_labels={"A": "A (n = 60)"})
        validated = go.Figure(fast.to_plotly_json())
        assert json.loads(validated.to_json()) == json.loads(fast.to_json())


def test_fast_forest_figure_is_what_plotly_validates():
    import json

    import plotly.graph_objects as go

    table = pd.DataFrame({
        "variable": ["Histotype", "Histotype", "Line"], "level": ["UPS", "LMS", "≥3"],
        "hr": [1.3, np.nan, 2.1], "lo": [0.6, 0.4, 1.1], "hi": [2.8, np.nan, np.nan], "txt": ["1.30", "n.e.", "2.10"], "small": [False, True, False],
    })
    fast = forest_figure(table, estimate="hr", lower="lo", upper="hi", label="level", group="variable", columns={"HR": "txt"},
                         log_x=True, reference=1.0, favours=("lower", "higher"), flag="small", title="T", x_label="HR")
    validated = go.Figure(fast.to_plotly_json())
    assert json.loads(validated.to_json()) == json.loads(fast.to_json())
