"""The sidebar every page shares: the dataset line, n of N and what the filters removed (above
the fold), any notice about filters fitted to new data, then the filters themselves."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from pages._dataset import Dataset
from pages._memo import memo
from pages._state import (
    AGE_KEY,
    FILTERED_KEY,
    FOLD_KEY,
    LABELS,
    LINE_CUT_KEY,
    PRESENT_KEY,
    F,
    filter_state_from_widgets,
)
from sarcoma.filters import (
    FilterResult,
    FilterState,
    apply_filters,
    filter_options,
    fit_age_range,
    fit_filters,
)
from sarcoma.formatting import markdown_escape as md

NOTICES_KEY = "filter_notices"
AGE_BOUNDS_KEY = "_age_bounds"


def sidebar_filters(ds: Dataset) -> FilterResult:
    """Draw the shared filters and store the filtered cohort for the pages of this run."""
    cohort = ds.cohort
    with st.sidebar:
        st.toggle(
            "Presentation mode", key=PRESENT_KEY, bind="query-params",
            help="Large fonts, thick lines and a compact header for a projector; collapse the sidebar with « to present.",
        )
        st.markdown(f"**Data:** {md(ds.name)}")
        if ds.is_sample:
            st.caption("Synthetic data for demonstration; upload your centre's file on the Data page.")
        # n of N and the filters in force stand above the filters: filled in once they are read.
        summary = st.container()
        st.header("Filters")
        with st.expander("Grouping options"):
            st.number_input(
                "Line-of-therapy cut (lines at or above are grouped)", min_value=2, max_value=10,
                value=3, step=1, key=LINE_CUT_KEY, bind="query-params",
            )
            st.number_input(
                "Fold histotypes with fewer patients than this into 'Other' (0 = off)", min_value=0,
                max_value=50, value=0, step=1, key=FOLD_KEY, bind="query-params",
            )
        partial = FilterState(line_cut=int(st.session_state.get(LINE_CUT_KEY) or 3), fold_rare_below=int(st.session_state.get(FOLD_KEY) or 0))
        # Once per filter state: a rerun for a page widget does not recompute the subset.
        options = memo("filter_options", (partial,), lambda: filter_options(cohort, partial))
        age_bounds = None
        if "age" in cohort and cohort["age"].notna().any():
            age_bounds = (int(cohort["age"].min()), int(cohort["age"].max()) + 1)
        fit_to_data(options, age_bounds)
        for attr, key in F.items():
            if attr in options and len(options[attr]) > 1:
                st.multiselect(LABELS[attr], options[attr], key=key, bind="query-params", placeholder="All")
            elif key in st.session_state:
                st.session_state[key] = []
        if age_bounds is not None:
            lo, hi = age_bounds
            # The default only when the state holds none (fit_to_data may have set it).
            default = {} if AGE_KEY in st.session_state else {"value": (lo, hi)}
            st.slider("Age at ICI start (years)", lo, hi, key=AGE_KEY, bind="query-params", **default)
        else:
            st.session_state.pop(AGE_KEY, None)
        state = filter_state_from_widgets()
        # The full age range is no filter at all (patients without a recorded age stay in).
        if age_bounds is None or (state.age_min is not None and state.age_max is not None
                                  and state.age_min <= age_bounds[0] and state.age_max >= age_bounds[1]):
            state = replace(state, age_min=None, age_max=None)
        result = memo("apply_filters", (state,), lambda: apply_filters(cohort, state))
        with summary:
            st.markdown(f"### {md(result.headline())}")
            for line in result.describe():
                st.caption(md(line))
            show_filter_notices()
    st.session_state[FILTERED_KEY] = result
    return result


def fit_to_data(options: dict[str, list[str]], age_bounds: tuple[int, int] | None) -> None:
    """Make the filter widgets' values fit this data before they are drawn (another file, a
    shared link or a new line cut may hold values this data lacks); every change is noted."""
    ss = st.session_state
    state = filter_state_from_widgets()
    fit = fit_filters(state, options)
    for attr, key in F.items():
        if getattr(fit.state, attr) != getattr(state, attr):
            ss[key] = list(getattr(fit.state, attr))
    notices = list(fit.notices)
    if age_bounds is not None:
        chosen = tuple(ss[AGE_KEY]) if ss.get(AGE_KEY) else None
        new, notice = fit_age_range(chosen, age_bounds, ss.get(AGE_BOUNDS_KEY))
        if chosen is not None and new != chosen:
            ss[AGE_KEY] = tuple(int(v) for v in new)
        if notice:
            notices.append(notice)
        ss[AGE_BOUNDS_KEY] = age_bounds
    if notices:
        ss[NOTICES_KEY] = [*ss.get(NOTICES_KEY, []), *notices]


def show_filter_notices() -> None:
    """What changed in the filters and why; stays until the user has read it."""
    notices = st.session_state.get(NOTICES_KEY)
    if not notices:
        return
    for notice in notices:
        st.warning(md(notice))
    if st.button("Understood", key="dismiss_filter_notices"):
        st.session_state.pop(NOTICES_KEY, None)
        st.rerun()


def filtered() -> FilterResult:
    """The filtered cohort of this run (app.py draws the sidebar before every page)."""
    return st.session_state[FILTERED_KEY]


def enough_patients(result: FilterResult, minimum: int = 2) -> bool:
    """Show a message instead of an analysis when the selection is too small."""
    if result.n == 0:
        st.warning("No patients match the current filters. Remove a filter in the sidebar.")
        return False
    if result.n < minimum:
        st.warning(f"Only {result.n} patient matches the current filters: too few to analyse. Widen the filters in the sidebar.")
        return False
    return True
