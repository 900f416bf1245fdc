"""The app's frame: page navigation, and the compact header of presentation mode."""

from __future__ import annotations

import threading
from collections.abc import Callable

import streamlit as st

from pages._dataset import current_dataset
from pages._state import FILTERED_KEY, presentation
from sarcoma.formatting import markdown_escape as md

_app_run = threading.local()
# Static CSS (no user data): larger text for a projector, and less space above the content so a
# figure with its risk table fits the first screen of a 1920x1080 projector.
_PRESENTATION_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem; }
[data-testid="stTable"] table { font-size: 1.05rem; }
h1, h2, h3 { font-weight: 700; }
</style>
"""


def run_app(pages: list, before_page: Callable[[], None]) -> None:
    """app.py's body: declare the navigation, draw the shared sidebar, run the chosen page."""
    page = st.navigation(pages)
    before_page()
    if presentation():
        presentation_header()
    _app_run.active = True
    try:
        page.run()
    finally:
        _app_run.active = False


def require_app() -> None:
    """Called first by every page: make sure it runs inside app.py's navigation.

    With a `pages/` folder next to app.py, Streamlit runs a page file on its own (legacy
    multipage mode) when the very first request after the server starts is a deep link (a
    shared URL such as /survival?histotype=UPS), and AppTest does so on every page switch.
    Declaring the navigation switches Streamlit to app.py's pages; the rerun then goes through
    app.py, so the sidebar filters and the shared state are there.
    """
    if getattr(_app_run, "active", False):
        return
    st.navigation(app_pages(), position="hidden")
    st.rerun()


def app_pages() -> list:
    return [
        st.Page("pages/data.py", title="Data", default=True),
        st.Page("pages/cohort.py", title="Cohort"),
        st.Page("pages/survival.py", title="Survival"),
        st.Page("pages/subgroups.py", title="Subgroups"),
        st.Page("pages/response.py", title="Response"),
        st.Page("pages/safety.py", title="Safety & biomarkers"),
        st.Page("pages/models.py", title="Landmark & Cox"),
        st.Page("pages/report.py", title="Report"),
        st.Page("pages/share_aggregates.py", title="Share aggregates"),
        st.Page("pages/pool_centres.py", title="Pool centres"),
    ]


def presentation_header() -> None:
    """One compact line the room can read: the cohort, n and the filters in force."""
    st.html(_PRESENTATION_CSS)
    from pages import _pool  # issue 15: a pool of aggregate files has its own line

    if _pool.pooled_mode():
        st.markdown(_pool.header_line())
        return
    result = st.session_state.get(FILTERED_KEY)
    line = f"**{md(current_dataset().name)}**"
    if result is not None:
        filters = "; ".join(result.describe()) or "no filters (whole cohort)"
        line += f" · {md(result.headline())} · {md(filters)}"
    st.markdown(line)
