"""Streamlit entry point: page navigation and the sidebar filters every page shares.

The filter widgets are drawn here (not in the pages) so they keep their values when the user
switches pages; they are bound to the URL query string so a view can be shared and reopened.
"""

import streamlit as st

from pages import _shared as ui

st.set_page_config(page_title="Sarcoma ICI cohort explorer", layout="wide")
ui.run_app(ui.app_pages(), ui.sidebar)
