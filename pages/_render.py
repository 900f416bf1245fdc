"""Draw a View (sarcoma.views) on a page: the same content the report and the deck show."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sarcoma.formatting import markdown_escape as md
from sarcoma.views.model import View

# Plotly toolbar: keep download as PNG, drop everything that could send data elsewhere.
MAX_COLUMN_PX = 460
PAGE_PX = 1100  # the main area of the wide layout on a 1600-px screen
WIDE_LABEL_PX, WIDE_VALUE_PX = 260, 220  # a table wider than that: pinned labels, narrower columns
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


def show_table(table: pd.DataFrame, *, presentation: bool = False, key: str | None = None) -> None:
    """A whole table, never a scroll box. In presentation mode a static table, because the
    interactive grid is drawn on a canvas that the projector CSS cannot enlarge; st.table renders
    Markdown in cells, so every cell and header is escaped."""
    frame = table
    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    if not default_index:
        frame = frame.reset_index()
    if presentation:
        shown = frame.astype(object).where(frame.notna(), "").map(md)
        shown.columns = [md(c) for c in shown.columns]
        st.table(shown, hide_index=True)
    else:
        st.dataframe(frame, hide_index=True, height="content", key=key, column_config=_widths(frame))


def _widths(frame: pd.DataFrame) -> dict:
    """Columns as wide as their longest text (the grid sizes them on the first rows only, and
    cut "Line of therapy (1-2 vs ≥3)" further down), within a readable maximum. A table wider
    than the page (Table 1 with a column per centre) keeps its leading text columns pinned, so
    the rows stay named while it scrolls sideways."""
    widths = {}
    for col in frame.columns:
        longest = max([len(str(col)), *(len(str(v)) for v in frame[col].head(2000))])
        widths[str(col)] = int(min(MAX_COLUMN_PX, 24 + 7.5 * longest))
    wide = sum(widths.values()) > PAGE_PX
    labels = set()
    for col in frame.columns:  # the leading text columns (Characteristic, level)
        if not wide or pd.api.types.is_numeric_dtype(frame[col]) or len(labels) == 2:
            break
        labels.add(str(col))
    if wide:  # narrower, so the pinned labels leave room for the value columns (long text: hover)
        widths = {col: min(w, WIDE_LABEL_PX if col in labels else WIDE_VALUE_PX) for col, w in widths.items()}
    return {col: st.column_config.Column(width=w, pinned=True if col in labels else None) for col, w in widths.items()}


def render_view(view: View, *, presentation: bool = False, key: str | None = None) -> None:
    """Result lines, warnings, figures, notes, tables and the methods sentence of a view."""
    prefix = key or view.key
    for line in view.lines:
        st.markdown(f"**{md(line)}**")
    for warning in view.warnings:
        st.warning(md(warning))
    if view.figures_first:
        _figures(view, prefix)
        _notes(view)
        _tables(view, prefix, presentation)
    else:
        _tables(view, prefix, presentation)
        _notes(view)
        _figures(view, prefix)
    if view.methods:
        st.caption(md(f"Methods: {view.methods}"))


def _figures(view: View, prefix: str) -> None:
    for block in view.figures:
        st.plotly_chart(block.figure, theme=None, config=PLOTLY_CONFIG, key=f"{prefix}-{block.key}")
        for note in block.notes:
            st.caption(md(note))


def _notes(view: View) -> None:
    for note in view.notes:
        st.caption(md(note))


def _tables(view: View, prefix: str, presentation: bool) -> None:
    for block in view.tables:
        if not block.on_page:
            continue
        st.markdown(f"**{md(block.title)}**")
        show_table(block.table, presentation=presentation, key=f"{prefix}-{block.key}")
        for note in block.notes:
            st.caption(md(note))
