"""Per-session memo of results, and the views built through it.

Everything lives in st.session_state, so it can never be shared with another session; keys
carry the dataset digest and the filter state, so a new file or filter recomputes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._dataset import current_dataset
from pages._state import filter_state_from_widgets, presentation
from sarcoma.filters import FilterResult, with_derived_columns
from sarcoma.groupings import available_groupings, why_not_grouped
from sarcoma.plots import PlotStyle
from sarcoma.views import View, ViewContext

MEMO_KEY = "_memo"
MEMO_SIZE = 64
DERIVED_KEY = "_dataset_derived"
VIEW_OPTIONS_KEY = "_view_options"


def memo(name: str, key: tuple, compute):
    """`compute()` once per (name, dataset, filter state, key) in this session (LRU, bounded)."""
    store = st.session_state.setdefault(MEMO_KEY, {})
    full = (name, current_dataset().digest, filter_state_from_widgets(), key)
    if full in store:
        value = store.pop(full)
    else:
        value = compute()
        while len(store) >= MEMO_SIZE:
            store.pop(next(iter(store)))
    store[full] = value  # most recently used last
    return value


def plot_style() -> PlotStyle:
    return PlotStyle.presentation() if presentation() else PlotStyle()


def dataset_derived() -> pd.DataFrame:
    """The whole dataset with the filters' derived columns (display histotype, line group): the
    colour universe of every view. Recomputed only when the dataset or those options change."""
    state = filter_state_from_widgets()
    ds = current_dataset()
    key = (ds.digest, state.line_cut, state.fold_rare_below)
    held = st.session_state.get(DERIVED_KEY)
    if held is None or held[0] != key:
        held = (key, with_derived_columns(ds.cohort, state))
        st.session_state[DERIVED_KEY] = held
    return held[1]


def view_context() -> ViewContext:
    """What every view needs besides the selection: the whole dataset, the cut, the style."""
    return ViewContext(dataset=dataset_derived(), line_cut=filter_state_from_widgets().line_cut, style=plot_style())


def view(name: str, build, cohort: pd.DataFrame, options) -> View:
    """A view of the current selection, computed once per (dataset, filters, options, mode).
    The options are kept for the Report page, which shows exactly what the pages show."""
    st.session_state.setdefault(VIEW_OPTIONS_KEY, {})[name] = options
    return memo(name, (options, presentation()), lambda: build(cohort, options, view_context()))


def view_options(name: str, default):
    """The options a page last used for its view in this session (the default if never shown)."""
    return st.session_state.get(VIEW_OPTIONS_KEY, {}).get(name, default)


def grouping_options() -> dict:
    """Every grouping that splits this dataset before filters: what the pages offer, so a
    filter that leaves one level never takes a user's choice away (see `grouping_problem`)."""
    state = filter_state_from_widgets()
    return memo("grouping_options", (state.line_cut, state.fold_rare_below),
                lambda: available_groupings(dataset_derived(), state.line_cut))


def grouping_problem(result: FilterResult, key: str | None) -> str | None:
    """Why the chosen grouping cannot split the current selection (None when it can)."""
    if key is None:
        return None
    return why_not_grouped(result.subset, grouping_options()[key])
