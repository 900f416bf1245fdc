"""The single import point of the pages (`from pages import _shared as ui`).

The parts live by job: `_frame` (navigation, presentation header), `_dataset` (the session's
dataset and AE table), `_state` (widget keys, filter state, display mode), `_sidebar`
(filters, n of N, notices), `_memo` (per-session memo, views), `_render` (drawing a View),
`_url` (choices in the URL) and `_pool` (pooled mode: a pool of centres' aggregate files).
"""

from __future__ import annotations

import streamlit as st

from pages._dataset import (
    SAMPLE_NAME,
    Dataset,
    adverse_events_for,
    attach_adverse_events,
    current_dataset,
    load_dataset,
    sample_dataset,
    uploaded_adverse_events,
    use_dataset,
)
from pages._frame import app_pages, require_app, run_app
from pages._memo import (
    dataset_derived,
    grouping_options,
    grouping_problem,
    memo,
    plot_style,
    view,
    view_context,
    view_options,
)
from pages._pool import pooled_mode, pooled_sidebar
from pages._sidebar import enough_patients, filtered, sidebar_filters
from pages._state import NO_GROUPING, filter_state_from_widgets, options_area, presentation
from sarcoma.formatting import markdown_escape as md

__all__ = [
    "NO_GROUPING", "SAMPLE_NAME", "Dataset", "adverse_events_for", "app_pages", "attach_adverse_events",
    "current_dataset", "dataset_derived", "enough_patients", "filter_state_from_widgets", "filtered",
    "grouping_options", "grouping_problem", "load_dataset", "md", "memo", "not_shown", "options_area",
    "plot_style", "pooled_mode", "pooled_page", "presentation", "read_error", "require_app", "run_app", "sample_dataset", "sidebar",
    "sidebar_filters",
    "uploaded_adverse_events", "use_dataset", "view", "view_context", "view_options",
]


def read_error(exc: Exception) -> None:
    st.error(md(exc))


def not_shown(what: str, reason: str) -> None:
    """A choice that cannot apply to this selection stays chosen; the page says why."""
    st.info(md(f"{what}: not shown for this selection, because {reason}. It is shown again when the filters allow it."))


def sidebar() -> None:
    """The shared sidebar of this run: the pool's (centre filter) in pooled mode, else the
    patient file's filters."""
    if pooled_mode():
        pooled_sidebar()
    else:
        sidebar_filters(current_dataset())


def pooled_page(name: str) -> None:
    """Draw page `name` on the pool (the pages call this first when `pooled_mode()`); the pooled
    views are imported only when a pool is shown."""
    from pages._pool_pages import PAGES

    PAGES[name]()
