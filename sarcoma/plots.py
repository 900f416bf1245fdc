"""Plotly figure builders: pure functions from computed results to figures.

Every text handed to a builder (titles, group labels, notes) is plain text, "\n" for a line
break: the builders escape it (`formatting.plotly_text`), because Plotly renders HTML tags such
as <a href> in labels and group names come from the user's file.

No statistics are computed here: curves, at-risk counts, medians and p-values come from the
statistics modules, so what a figure shows is what the tables show.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from sarcoma.formatting import plotly_text
from sarcoma.schema import BEST_RESPONSES, HISTOTYPES, REGIMEN_CLASSES

# Okabe & Ito (2008) colour-blind-safe palette without its yellow (unreadable as text on white),
# extended with three colours of Paul Tol's palettes for cohorts with many groups.
OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#882255",  # wine (Tol)
    "#332288",  # indigo (Tol)
    "#777777",  # grey
    "#000000",  # black
)
PALETTE = OKABE_ITO[:8]
# Fixed colours for vocabularies that recur on every page, so a group keeps its colour.
RESPONSE_COLORS = {"CR": "#009E73", "PR": "#56B4E9", "SD": "#E69F00", "PD": "#D55E00", "NE": "#999999"}
_FIXED: dict[str, str] = {
    **{h: OKABE_ITO[i] for i, h in enumerate(HISTOTYPES)},  # 9 histotypes: "Other" is grey
    **{r: OKABE_ITO[i] for i, r in enumerate(REGIMEN_CLASSES)},
    **RESPONSE_COLORS,
    "Responder (CR/PR)": "#009E73",
    "Non-responder (SD/PD)": "#D55E00",
    "Any AE": "#CC79A7",
    "No AE": "#0072B2",
    "All patients": "#000000",
}
# Step points and censor-mark bins shared by all curves of a figure (keeps the payload bounded
# whatever N and the number of groups), and the decimals sent to the browser (4 decimals of a
# probability or of months is far below one pixel).
MAX_STEP_POINTS = 400
STEP_POINT_BUDGET = 1200
CENSOR_BINS = 200
CENSOR_BIN_BUDGET = 480
DECIMALS = 4
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


@dataclass(frozen=True)
class PlotStyle:
    """Sizes for screen or projector; `presentation()` is readable from the back of a room."""

    font_size: int = 14
    line_width: float = 2.0
    marker_size: int = 8
    height: int = 560
    template: str = "plotly_white"

    @classmethod
    def presentation(cls) -> PlotStyle:
        return cls(font_size=22, line_width=4.0, marker_size=12, height=720)

    @classmethod
    def slides(cls) -> PlotStyle:
        """Projector type on a 16:9 slide: a figure about 650 px tall shown ~5.8 in high keeps
        22 px text at about 14 pt, the size of the slide's own text."""
        return cls(font_size=22, line_width=4.0, marker_size=12, height=430)


class Curve(Protocol):
    time: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    censored: np.ndarray
    median: float


def group_colors(levels: Sequence[str]) -> dict[str, str]:
    """Colour per level: fixed for known vocabularies, else by position in the level order."""
    colors: dict[str, str] = {}
    free = list(PALETTE)
    for lv in levels:
        if lv in _FIXED:
            colors[lv] = _FIXED[lv]
    used = set(colors.values())
    pool = [c for c in free if c not in used] + free
    i = 0
    for lv in levels:
        if lv not in colors:
            colors[lv] = pool[i % len(pool)]
            i += 1
    return colors


def thin_steps(time: np.ndarray, surv: np.ndarray, max_points: int = MAX_STEP_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Drop step points that are invisible at screen resolution.

    A point is kept when the curve has dropped by at least 1/max_points since the last kept
    point or the time has moved by at least range/max_points; the last point is always kept.
    The drawn curve then differs from the exact one by less than one part in `max_points`.
    """
    if len(time) <= max_points:
        return time, surv
    t_step = (time[-1] - time[0]) / max_points
    s_step = 1.0 / max_points
    keep = np.zeros(len(time), dtype=bool)
    keep[0] = keep[-1] = True
    # Quantise time and survival; keep the first point of every new (time bin, survival bin) cell.
    tb = np.floor((time - time[0]) / t_step if t_step > 0 else np.zeros_like(time)).astype(np.int64)
    sb = np.floor((1.0 - surv) / s_step).astype(np.int64)
    cell = tb * (max_points + 2) + sb
    keep[1:] |= cell[1:] != cell[:-1]
    return time[keep], surv[keep]


def censor_marks(curve: Curve, bins: int = CENSOR_BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Censor marks (time, survival, count). Many marks are binned, never dropped: a bin keeps
    the count of censorings it holds, shown on hover."""
    mask = curve.censored > 0
    t, s, c = curve.time[mask], curve.survival[mask], curve.censored[mask]
    if len(t) <= bins:
        return t, s, c
    edges = np.linspace(t[0], t[-1], bins + 1)
    idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, bins - 1)
    counts = np.bincount(idx, weights=c, minlength=bins)
    last = np.full(bins, -1)
    last[idx] = np.arange(len(t))  # last censoring time in each bin
    present = last >= 0
    return t[last[present]], s[last[present]], counts[present]


def _step_xy(curve: Curve, max_points: int = MAX_STEP_POINTS) -> tuple[np.ndarray, np.ndarray]:
    t = np.concatenate([[0.0], np.asarray(curve.time, float)])
    s = np.concatenate([[1.0], np.asarray(curve.survival, float)])
    if len(t) > 1 and t[1] == 0.0:
        t, s = t[1:], s[1:]
    t, s = thin_steps(t, s, max_points)
    return np.round(t, DECIMALS), np.round(s, DECIMALS)


def _band_xy(curve: Curve, max_points: int = MAX_STEP_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.concatenate([[0.0], np.asarray(curve.time, float)])
    lo = np.concatenate([[1.0], np.asarray(curve.lower, float)])
    hi = np.concatenate([[1.0], np.asarray(curve.upper, float)])
    ok = np.isfinite(lo) & np.isfinite(hi)
    t, lo, hi = t[ok], lo[ok], hi[ok]
    tt, lo_thin = thin_steps(t, lo, max_points)
    hi_thin = np.interp(tt, t, hi)  # same x for both edges of the band
    return np.round(tt, DECIMALS), np.round(lo_thin, DECIMALS), np.round(hi_thin, DECIMALS)


def km_figure(
    curves: Mapping[str, Curve],
    *,
    at_risk: pd.DataFrame | None = None,
    title: str = "",
    x_label: str = "Months from ICI start",
    y_label: str = "Survival probability",
    annotation: str | None = None,
    footnote: str | Sequence[str] | None = None,
    show_ci: bool = False,
    show_censors: bool = True,
    show_median: bool = True,
    colors: Mapping[str, str] | None = None,
    legend_labels: Mapping[str, str] | None = None,
    style: PlotStyle | None = None,
) -> go.Figure:
    """Kaplan-Meier curves with censor marks, optional CI bands and median lines, and the risk
    table under the time axis.

    `at_risk` has one row per group (number at risk), or a (group, measure) MultiIndex for the
    KMunicate layout (number at risk, cumulative censored, cumulative events per group; see
    `risk_table.kmunicate_table`); its columns are the times. `annotation` (the test line) is
    printed under the title, `footnote` lines under the figure, so neither covers a curve or an
    axis. `legend_labels` replace the group names in the legend (e.g. with n and the median).
    The curve panel keeps its height whatever the number of groups: the figure grows instead.

    Built as plain data and handed to Plotly unvalidated (`_fast_figure`): this figure is redrawn
    on every filter change, and Plotly's per-property validation cost ten times the statistics.
    """
    style = style or PlotStyle()
    colors = dict(colors or group_colors(list(curves)))
    legend_labels = dict(legend_labels or {})
    rows = _risk_rows(at_risk)
    notes = [footnote] if isinstance(footnote, str) else list(footnote or [])
    notes = [n for n in notes if n]
    row_px = 1.8 * style.font_size
    risk_px = len(rows) * row_px + style.font_size if rows else 0.0
    plot_px = style.height * 0.72
    gap_px = 5.6 * style.font_size if rows else 0.0  # the time axis (ticks, title) and the table heading
    inner = plot_px + gap_px + risk_px
    x_max = max((float(np.max(c.time)) for c in curves.values() if len(c.time)), default=1.0)
    n_curves = max(1, len(curves))
    max_points = max(50, min(MAX_STEP_POINTS, STEP_POINT_BUDGET // (n_curves * (2 if show_ci else 1))))
    bins = max(20, min(CENSOR_BINS, CENSOR_BIN_BUDGET // n_curves))
    data: list[dict] = []
    for label, curve in curves.items():
        color = colors.get(label, OKABE_ITO[0])
        shown = plotly_text(label)
        if show_ci:
            bt, blo, bhi = _band_xy(curve, max_points)
            data.append(_scatter(
                x=np.concatenate([bt, bt[::-1]]), y=np.concatenate([bhi, blo[::-1]]),
                mode="lines", fill="toself", fillcolor=_rgba(color, 0.15),  # no markers at the band's corners
                line={"width": 0, "shape": "hv"}, hoverinfo="skip", showlegend=False, legendgroup=shown,
            ))
        x, y = _step_xy(curve, max_points)
        data.append(_scatter(
            x=x, y=y, mode="lines", name=plotly_text(legend_labels.get(label, label)), legendgroup=shown, meta=shown,
            line={"shape": "hv", "color": color, "width": style.line_width},
            hovertemplate="%{meta}<br>%{x:.1f} months: %{y:.2f}<extra></extra>",
        ))
        if show_censors:
            ct, cs, cc = censor_marks(curve, bins)
            if len(ct):
                data.append(_scatter(
                    x=np.round(ct, DECIMALS), y=np.round(cs, DECIMALS), mode="markers", legendgroup=shown, showlegend=False,
                    marker=_censor_marker(color, style), customdata=cc, meta=shown,
                    hovertemplate="%{meta}: %{customdata:.0f} censored at %{x:.1f} months<extra></extra>",
                ))
        if show_median and np.isfinite(curve.median):
            data.append(_scatter(
                x=[0, curve.median, curve.median], y=[0.5, 0.5, 0], mode="lines",
                line={"dash": "dot", "color": color, "width": max(1.0, style.line_width / 2)},
                legendgroup=shown, showlegend=False, meta=shown,
                hovertemplate="%{meta}: median %{x:.1f} months<extra></extra>",
            ))
    if show_censors and curves:
        # One legend entry explains the tick marks of every curve.
        data.append(_scatter(x=[None], y=[None], mode="markers", name="Censored", marker=_censor_marker("#555555", style), hoverinfo="skip"))
    # A little room left of 0 so the first at-risk numbers clear the group labels.
    x_range = [-0.03 * x_max, x_max * 1.03]
    layout, annotations = _frame_layout(title, style, notes, inner_height=inner, subtitle=annotation, axis_below=not rows)
    spacing = gap_px / inner if rows else 0.0
    risk_top = (risk_px / inner) if rows else 0.0
    # The time axis (ticks and title) under the curves; the risk table's columns sit under its ticks.
    layout["xaxis"] = {"anchor": "y", "domain": [0.0, 1.0], "range": x_range, "title": {"text": plotly_text(x_label)},
                       "showticklabels": True}
    layout["yaxis"] = {"anchor": "x", "domain": [risk_top + spacing if rows else 0.0, 1.0], "range": [-0.02, 1.04],
                       "tickformat": ".0%", "title": {"text": plotly_text(y_label)}}
    if rows:
        ticks = list(at_risk.columns)
        layout["xaxis"]["tickvals"] = ticks
        layout["xaxis2"] = {"anchor": "y2", "domain": [0.0, 1.0], "matches": "x", "range": x_range, "tickvals": ticks,
                            "showticklabels": False, "showgrid": False}
        risk_data, risk_axis, heading = _risk_table_parts(at_risk, rows, colors, style)
        data += risk_data
        layout["yaxis2"] = {"anchor": "x2", "domain": [0.0, risk_top], **risk_axis}
        annotations.insert(0, heading)
    layout["annotations"] = annotations
    # The legend stands right of the curves, top-aligned: it never covers a curve or the title,
    # whatever the number of groups or the length of their names.
    layout["legend"] = {"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.01}
    return _fast_figure(data, layout)


def _scatter(xaxis: str = "x", yaxis: str = "y", **props) -> dict:
    return {"type": "scatter", "xaxis": xaxis, "yaxis": yaxis, **props}


@functools.lru_cache(maxsize=4)
def _template(name: str) -> dict:
    # Unvalidated layouts are not resolved by name: hand Plotly the template itself.
    return pio.templates[name].to_plotly_json()


def _fast_figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain data, without Plotly's per-property validation (the same figure as
    the validated one: tests/test_plots.py compares their JSON)."""
    layout = {**layout, "template": _template(layout["template"]) if isinstance(layout.get("template"), str) else layout.get("template")}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _censor_marker(color: str, style: PlotStyle) -> dict:
    return {"symbol": "line-ns-open", "size": style.marker_size, "color": color, "line": {"width": max(1.0, style.line_width / 1.5)}}


def _risk_rows(at_risk: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(group, measure) per row of the risk table; measure is "" for a plain at-risk table."""
    if at_risk is None or not len(at_risk):
        return []
    if isinstance(at_risk.index, pd.MultiIndex):
        return [(str(g), str(m)) for g, m in at_risk.index]
    return [(str(g), "") for g in at_risk.index]


def _risk_table_parts(at_risk: pd.DataFrame, rows: list[tuple[str, str]], colors: Mapping[str, str], style: PlotStyle) -> tuple[list[dict], dict, dict]:
    """Text traces of the risk table (axes x2/y2), its y axis, and its heading."""
    kmunicate = any(m for _, m in rows)
    data, tick_text = [], []
    for row_i, ((group, measure), values) in enumerate(zip(rows, at_risk.to_numpy(), strict=True)):
        data.append(_scatter(
            xaxis="x2", yaxis="y2", x=list(at_risk.columns), y=[row_i] * len(at_risk.columns), mode="text",
            text=[str(int(v)) for v in values], textfont={"size": style.font_size, "color": colors.get(group, "#000000")},
            showlegend=False, hoverinfo="skip",
        ))
        # KMunicate: the group's name on its first row, the measure on every row.
        first = row_i == 0 or rows[row_i - 1][0] != group
        label = (f"{group} · {measure}" if first else measure) if kmunicate else group
        tick_text.append(plotly_text(label))
    axis = {"tickvals": list(range(len(rows))), "ticktext": tick_text, "range": [len(rows) - 0.4, -0.6],
            "showgrid": False, "zeroline": False, "ticklabelstandoff": 8}
    # The table's heading sits above its first row (a vertical axis title would be cut off when
    # the table has one or two rows).
    heading = {"text": "Number at risk" if not kmunicate else "Number at risk, cumulative censored and cumulative events",
               "xref": "paper", "x": 0, "xanchor": "left", "yref": "y2 domain", "y": 1, "yanchor": "bottom", "yshift": 2,
               "showarrow": False, "font": {"size": style.font_size}}
    return data, axis, heading


def forest_figure(
    table: pd.DataFrame,
    *,
    estimate: str,
    lower: str,
    upper: str,
    label: str = "label",
    group: str | None = None,
    columns: Mapping[str, str] | None = None,
    log_x: bool = False,
    reference: float | None = None,
    x_label: str = "",
    title: str = "",
    flag: str | None = None,
    favours: tuple[str, str] | None = None,
    style: PlotStyle | None = None,
) -> go.Figure:
    """Point estimates with CI whiskers, one row per line of `table` (top to bottom).

    With `group` (e.g. the variable), each run of rows of one group gets a heading row and its
    rows are indented under it, so a level is named once ("UPS"), not "Histotype: UPS".
    `columns` maps a column header to a column of `table` holding display text (n (events),
    "4.6 (3.2-5.9)"): printed right of the plot, the way forest plots in papers read.
    `favours` ("lower hazard", "higher hazard") labels the two sides of `reference`. The x axis
    is drawn at the top and at the bottom. Rows whose `flag` column is true are drawn hollow
    (groups below the minimum size); a missing upper limit (not reached) runs dotted to the edge.
    """
    style = style or PlotStyle()
    columns = dict(columns or {})
    df = table.reset_index(drop=True)
    lines: list[tuple[str, int | None]] = []  # (text, data row or None for a heading)
    previous = None
    for i, value in enumerate(df[label].astype(str)):
        if group is not None and df[group].iat[i] != previous:
            previous = df[group].iat[i]
            lines.append((str(previous), None))
        lines.append((("    " if group is not None else "") + value, i))
    n_lines = len(lines)
    y_of = {i: n_lines - 1 - k for k, (_, i) in enumerate(lines) if i is not None}
    y = np.array([y_of[i] for i in range(len(df))], dtype=float)
    est = df[estimate].astype(float).to_numpy()
    lo = df[lower].astype(float).to_numpy()
    hi = df[upper].astype(float).to_numpy()
    finite = np.concatenate([est[np.isfinite(est)], lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    right = float(finite.max()) * (1.1 if not log_x else 1.5) if len(finite) else 1.0
    hi_drawn = np.where(np.isfinite(hi), hi, right)
    hollow = df[flag].astype(bool).to_numpy() if flag and flag in df else np.zeros(len(df), bool)
    data: list[dict] = []
    # Whiskers: one trace for the closed intervals, one (dotted) for those running to "not reached".
    for dotted in (False, True):
        rows_ = [i for i in range(len(df)) if np.isfinite(est[i]) and (not np.isfinite(hi[i])) == dotted]
        xs = [v for i in rows_ for v in (lo[i] if np.isfinite(lo[i]) else est[i], hi_drawn[i], None)]
        ys = [v for i in rows_ for v in (y[i], y[i], None)]
        data.append(_scatter(x=xs, y=ys, mode="lines", showlegend=False, hoverinfo="skip",
                             line={"color": "#333333", "width": style.line_width, "dash": "dot" if dotted else "solid"}))
    data.append(_scatter(
        x=est, y=y, mode="markers", showlegend=False,
        marker={"symbol": ["square-open" if h else "square" for h in hollow], "size": style.marker_size + 4, "color": "#0072B2"},
        customdata=np.stack([lo, hi], axis=-1), hovertemplate="%{x:.2f} (%{customdata[0]:.2f}-%{customdata[1]:.2f})<extra></extra>",
    ))
    missing = ~np.isfinite(est)
    if missing.any():  # not reached / not estimable: said in the row, never silently blank
        data.append(_scatter(
            x=np.where(np.isfinite(lo[missing]), lo[missing], (finite.min() if len(finite) else 1.0)),
            y=y[missing], mode="text", text=["not reached" if np.isfinite(lo_i) else "not estimable" for lo_i in lo[missing]],
            textposition="middle right", textfont={"size": style.font_size, "color": "#555555"}, showlegend=False, hoverinfo="skip",
        ))
    layout_extra: dict = {}
    annotations: list[dict] = []
    shapes: list[dict] = []
    if reference is not None:
        shapes.append({"type": "line", "x0": reference, "x1": reference, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                       "line": {"dash": "dash", "color": "#777777"}})
    # Text columns, left-aligned; the first (counts) is narrow, the others share the rest.
    widths = [1.0 if j == 0 else 2.0 for j in range(len(columns))]
    starts = np.cumsum([0.0, *widths]) / max(sum(widths), 1.0)
    for j, (header, col) in enumerate(columns.items()):
        x = float(starts[j]) + 0.03
        data.append(_scatter(
            xaxis="x2", x=[x] * len(df), y=y, mode="text", text=[plotly_text(v) for v in df[col].astype(str)],
            textposition="middle right", textfont={"size": style.font_size}, showlegend=False, hoverinfo="skip",
        ))
        annotations.append({"text": f"<b>{plotly_text(header)}</b>", "x": x, "y": n_lines - 0.3, "xref": "x2", "yref": "y",
                            "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": style.font_size}})
    if columns:
        layout_extra["xaxis2"] = {"anchor": "y", "domain": [0.57, 1.0], "range": [0, 1], "visible": False}
    ticktext = [f"<b>{plotly_text(t)}</b>" if i is None else plotly_text(t) for t, i in lines]
    yaxis = {"anchor": "x", "domain": [0.0, 1.0], "tickvals": list(range(n_lines - 1, -1, -1)), "ticktext": ticktext,
             "showgrid": False, "zeroline": False, "range": [-0.8, n_lines - 0.2 + (0.9 if columns else 0.0)], "automargin": True}
    # The axis at the bottom and, mirrored with its labels, at the top of a tall plot.
    xaxis = {"anchor": "y", "domain": [0.0, 0.55] if columns else [0.0, 1.0], "title": {"text": plotly_text(x_label)},
             "type": "log" if log_x else "linear", "showline": True, "mirror": "allticks", "ticks": "outside"}
    if log_x:  # round ratios as ticks, not Plotly's 2 3 4 ... 9 minor labels
        span = np.concatenate([finite, [reference]]) if reference is not None else finite
        ticks = [v for v in LOG_TICKS if span.size and span.min() / 1.5 <= v <= span.max() * 1.5] or [1.0]
        xaxis |= {"tickvals": ticks, "ticktext": [f"{v:g}" for v in ticks]}
    # Tick labels at the top too: an overlaying axis that matches the main x axis (an invisible
    # trace on it makes Plotly draw it).
    top_axis = {"overlaying": "x", "matches": "x", "side": "top", "type": xaxis["type"], "showgrid": False, "ticks": "outside",
                "tickfont": {"size": style.font_size}, "tickvals": xaxis.get("tickvals"), "ticktext": xaxis.get("ticktext")}
    data.append(_scatter(xaxis="x99", x=[None], y=[None], showlegend=False, hoverinfo="skip"))
    note_lines = 0.0
    if favours is not None and reference is not None:
        left, right_text = favours
        for text, xpos, anchor in ((f"← {left}", 0.0, "left"), (f"{right_text} →", 1.0, "right")):
            annotations.append({"text": plotly_text(text), "x": xpos, "xref": "x domain", "y": 0, "yref": "paper",
                                "yshift": -int(4.6 * style.font_size), "xanchor": anchor, "yanchor": "top", "showarrow": False,
                                "font": {"size": max(10, style.font_size - 2), "color": "#555555"}})
        note_lines = 1.5
    inner = n_lines * 1.6 * style.font_size + (2 * style.font_size if columns else 0)
    layout, frame_notes = _frame_layout(title, style, None, inner_height=max(inner, 4 * style.font_size))
    extra_top = 1.6 * style.font_size  # the top axis' labels under the title
    extra_bottom = note_lines * 2 * style.font_size
    layout["margin"] = {**layout["margin"], "t": int(layout["margin"]["t"] + extra_top), "b": int(layout["margin"]["b"] + extra_bottom), "l": 40}
    layout["height"] = int(layout["height"] + extra_top + extra_bottom)
    layout.update(xaxis=xaxis, yaxis=yaxis, xaxis99=top_axis, shapes=shapes, annotations=annotations + frame_notes, **layout_extra)
    return _fast_figure(data, layout)


def waterfall_figure(
    pct_change: pd.Series,
    best_response: pd.Series,
    *,
    title: str = "Best change in target lesions",
    style: PlotStyle | None = None,
) -> go.Figure:
    """Bars of best % change per patient, sorted from largest increase to largest shrinkage,
    coloured by best response, with the RECIST +20% and -30% thresholds."""
    style = style or PlotStyle()
    df = pd.DataFrame({"pct": pd.to_numeric(pct_change, errors="coerce"), "br": best_response.astype(object)})
    df = df.dropna(subset=["pct"]).sort_values("pct", ascending=False, kind="stable").reset_index(drop=True)
    fig = go.Figure()
    for resp in [*BEST_RESPONSES, None]:
        part = df[df["br"].isna()] if resp is None else df[df["br"] == resp]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part.index + 1, y=part["pct"], name=resp or "Not recorded",
                marker_color=RESPONSE_COLORS.get(resp or "NE", "#999999"),
                hovertemplate="%{y:.0f}%<extra>" + (resp or "Not recorded") + "</extra>",
            )
        )
    for y, text in ((20, "+20% (PD)"), (-30, "−30% (PR)")):
        fig.add_hline(y=y, line={"dash": "dash", "color": "#555555"})
        # In the right margin, next to its line: never on top of a bar.
        fig.add_annotation(text=text, x=1.0, xref="paper", xanchor="left", xshift=6, y=y, yref="y",
                           showarrow=False, font={"size": max(10, style.font_size - 2), "color": "#555555"})
    fig.update_xaxes(title_text="Patients", showticklabels=False)
    fig.update_yaxes(title_text="Best change from baseline (%)")
    fig.update_layout(bargap=0.1)
    _finish(fig, title, style, None)
    # Room for the legend row between the title and the bars, and for the threshold labels.
    fig.update_layout(margin={"r": int(30 + 6 * style.font_size), "t": int(fig.layout.margin.t + 1.8 * style.font_size)})
    return fig


# Swimmer plot: lane height follows the marker size (readable at 72 patients) until the plot
# area reaches SWIMMER_MAX_INNER px, then lanes thin out; below SWIMMER_LABEL_PX a lane is too
# thin for its patient ID, which stays in the hover.
SWIMMER_MAX_INNER = 1400
SWIMMER_LABEL_PX = 10
SWIMMER_BAR_WIDTH = 0.6  # of a lane
SWIMMER_MARKERS = {  # field of the lanes -> (trace name, symbol, colour, hover words)
    "response": ("Response (first CR/PR)", "star", "#F0E442", "first CR/PR at"),
    "progression": ("Progression", "x", "#000000", "progression at"),
    "death": ("Death", "square", "#555555", "death at"),
}
SWIMMER_COLOR_BY = {"best_response": "Best response", "regimen_class": "Regimen class"}
_ON_LANE = {"legendgroup": "events", "legendgrouptitle": {"text": "On the lane"}}
NOT_RECORDED = "Not recorded"


def swimmer_figure(
    cohort: pd.DataFrame,
    *,
    color_by: str = "best_response",
    colors: Mapping[str, str] | None = None,
    title: str = "Time on treatment and response",
    footnote: str | Sequence[str] | None = None,
    style: PlotStyle | None = None,
    height: int | None = None,
    lanes=None,
) -> go.Figure:
    """One horizontal lane per patient: a bar from the start of ICI to the end of treatment (or
    to the last follow-up while still on treatment, with an arrow: ongoing), coloured by
    `color_by` ("best_response" or "regimen_class"), a thin line for follow-up after treatment,
    and markers in named traces for the first CR/PR, progression and death. Longest time on
    treatment at the top. `lanes` (sarcoma.swimmer.SwimmerLanes) when the caller has them;
    `height` fixes the figure height (a slide): the lanes then share it. Patient IDs are file
    text: escaped on the axis and in the hover."""
    from sarcoma.swimmer import swimmer_lanes  # here: sarcoma.swimmer needs nothing from plots

    if color_by not in SWIMMER_COLOR_BY:
        raise ValueError(f"Unknown colour for the swimmer plot {color_by!r}; choose one of {', '.join(SWIMMER_COLOR_BY)}.")
    style = style or PlotStyle()
    data = (lanes if lanes is not None else swimmer_lanes(cohort)).lanes
    n = len(data)
    group = (cohort[color_by].reindex(data.index).astype(object) if color_by in cohort
             else pd.Series(None, index=data.index, dtype=object))
    group = group.where(group.notna(), NOT_RECORDED).astype(str)
    vocab = BEST_RESPONSES if color_by == "best_response" else REGIMEN_CLASSES
    levels = [v for v in vocab if (group == v).any()] + sorted(set(group) - set(vocab) - {NOT_RECORDED})
    levels += [NOT_RECORDED] if (group == NOT_RECORDED).any() else []
    colors = {**group_colors(levels), NOT_RECORDED: "#BBBBBB", **(colors or {})}

    y = np.arange(n - 1, -1, -1, dtype=float)  # the first (longest) lane at the top
    ids = [plotly_text(i) for i in data["patient_id"]]
    duration = data["duration"].to_numpy(float).round(2)
    fig = go.Figure()
    for level in levels:
        m = (group == level).to_numpy()
        status = np.where(data["ongoing"].to_numpy()[m], "still on treatment at last follow-up", "treatment ended")
        fig.add_trace(go.Bar(
            x=duration[m], y=y[m], base=0, orientation="h", width=SWIMMER_BAR_WIDTH, name=plotly_text(level),
            marker={"color": colors[level], "line": {"width": 0}}, legendgroup="lanes",
            legendgrouptitle={"text": plotly_text(SWIMMER_COLOR_BY[color_by])},
            customdata=np.column_stack([np.asarray(ids, dtype=object)[m], status]),
            hovertemplate="%{customdata[0]} · " + plotly_text(level) + "<br>%{x:.1f} months on treatment (%{customdata[1]})<extra></extra>",
        ))
    lane_px = _swimmer_lane_px(n, style, height)
    marker = max(4.0, min(float(style.marker_size), 0.9 * lane_px))
    # Follow-up after the end of treatment, to death or the last contact: one thin line trace.
    contact = data["last_contact"].to_numpy(float).round(2)
    after = np.flatnonzero(np.isfinite(contact) & (contact > duration + 0.01))
    if len(after):
        xs = np.column_stack([duration[after], contact[after], np.full(len(after), np.nan)]).ravel()
        ys = np.column_stack([y[after], y[after], np.full(len(after), np.nan)]).ravel()
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="Follow-up after treatment", hoverinfo="skip", **_ON_LANE,
                                 line={"color": "#9A9A9A", "width": max(1.0, style.line_width / 2)}))
    ongoing = np.flatnonzero(data["ongoing"].to_numpy())
    if len(ongoing):
        fig.add_trace(go.Scatter(
            x=duration[ongoing], y=y[ongoing], mode="markers", name="Still on treatment", **_ON_LANE,
            marker={"symbol": "triangle-right", "size": marker, "color": "#000000"},
            customdata=np.asarray(ids, dtype=object)[ongoing],
            hovertemplate="%{customdata}<br>still on treatment at %{x:.1f} months<extra></extra>",
        ))
    for field, (name, symbol, color, words) in SWIMMER_MARKERS.items():
        at = data[field].to_numpy(float).round(2)
        has = np.flatnonzero(np.isfinite(at))
        if not len(has):
            continue
        fig.add_trace(go.Scatter(
            x=at[has], y=y[has], mode="markers", name=name, **_ON_LANE,
            marker={"symbol": symbol, "size": marker * (1.3 if symbol == "star" else 1.0), "color": color,
                    "line": {"color": "#000000" if symbol == "star" else "#FFFFFF", "width": 1}},
            customdata=np.asarray(ids, dtype=object)[has],
            hovertemplate="%{customdata}<br>" + words + " %{x:.1f} months<extra></extra>",
        ))
    show_ids = n <= 120 and lane_px >= SWIMMER_LABEL_PX
    fig.update_yaxes(
        range=[-0.7, max(n, 1) - 0.3], showgrid=False, zeroline=False,
        tickmode="array", tickvals=y if show_ids else [], ticktext=ids if show_ids else [],
        tickfont={"size": int(min(style.font_size - 2, lane_px - 1))} if show_ids else None,
        title_text="Patient" if show_ids else f"Patients (n = {n})",
    )
    longest = np.nanmax(np.concatenate([duration, contact[np.isfinite(contact)]])) if n else 1.0
    fig.update_xaxes(title_text="Months from the start of ICI", range=[0, float(longest) * 1.03 + 0.5], zeroline=False)
    fig.update_layout(barmode="overlay", bargap=0, hovermode="closest")
    _finish(fig, title, style, footnote, inner_height=None if height else n * lane_px, height=height)
    if not show_ids:  # no ID column at the left: give the plot the room
        fig.update_layout(margin={"l": int(30 + 2.2 * style.font_size)})
    # The legend in a column at the right, lane colours first, then what is drawn on a lane: a
    # row of ten entries above the plot would wrap and run into the title on a narrow page.
    fig.update_layout(legend={"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.01,
                              "tracegroupgap": int(style.font_size), "itemsizing": "constant"})
    return fig


def _swimmer_lane_px(n: int, style: PlotStyle, height: int | None) -> float:
    """Pixels per lane: 1.5 x the marker size, fewer when there are many lanes or the figure
    height is fixed (a slide), never under 2."""
    if height is not None:  # the lanes share the plotting area the margins leave
        inner = height - (30 + 3.6 * style.font_size) - (50 + 1.6 * style.font_size)
        return max(2.0, inner / max(n, 1))
    return max(2.0, min(1.5 * style.marker_size, SWIMMER_MAX_INNER / max(n, 1)))


def _frame_layout(
    title: str, style: PlotStyle, footnote: str | Sequence[str] | None, *,
    height: int | None = None, subtitle: str | None = None, inner_height: float | None = None, axis_below: bool = True,
) -> tuple[dict, list[dict]]:
    """Title (and a subtitle such as the test line), template, fonts, height and margins, and the
    footnote annotations under the figure; margins grow with the text so nothing overlaps the
    plot. With `inner_height` (the plotting area in pixels) the figure is as tall as that plus
    its margins; `axis_below=False` when the bottom panel shows no axis labels (a risk table)."""
    notes = [footnote] if isinstance(footnote, str) else [n for n in (footnote or []) if n]
    note_font = max(10, style.font_size - 4)
    sub_font = max(10, style.font_size - 2)
    sub_lines = len(str(subtitle).splitlines()) if subtitle else 0
    top = int(30 + (1.8 * style.font_size if title else 0) + sub_lines * 1.5 * sub_font) if (title or subtitle) else 30
    notes_px = len(notes) * 1.5 * note_font
    bottom = int((50 + 1.6 * style.font_size if axis_below else 16) + notes_px)
    if inner_height is not None:
        height = int(inner_height + top + bottom)
    layout = {
        "title": {
            "text": plotly_text(title) if title else "",
            "subtitle": {"text": plotly_text(subtitle) if subtitle else "", "font": {"size": sub_font}},
            "x": 0.0, "xanchor": "left", "xref": "paper", "y": 1.0, "yref": "container", "yanchor": "top", "pad": {"t": 14},
        },
        "template": style.template,
        "font": {"size": style.font_size},
        "height": height or style.height,
        "margin": {"l": 80, "r": 30, "t": top, "b": bottom},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
    }
    annotations = [
        {"text": plotly_text(note), "xref": "paper", "yref": "paper", "x": 0, "y": 0,
         "yshift": -int(bottom - notes_px - 4 + i * 1.5 * note_font), "xanchor": "left", "yanchor": "top",
         "showarrow": False, "align": "left", "font": {"size": note_font}}
        for i, note in enumerate(notes)
    ]
    return layout, annotations


def _finish(
    fig: go.Figure, title: str, style: PlotStyle, footnote: str | Sequence[str] | None,
    height: int | None = None, subtitle: str | None = None, inner_height: float | None = None,
    axis_below: bool = True,
) -> None:
    """`_frame_layout` applied to a figure built with Plotly's own methods."""
    layout, annotations = _frame_layout(title, style, footnote, height=height, subtitle=subtitle,
                                        inner_height=inner_height, axis_below=axis_below)
    fig.update_layout(**layout)
    for note in annotations:
        fig.add_annotation(**note)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
