"""Streamlit entry point: page navigation and the sidebar filters every page shares.

The filter widgets live here (not in the pages) so they keep their values when the user switches
pages; they are bound to the URL query string so a view can be shared and reopened.
"""

import streamlit as st

from pages import _shared as ui

st.set_page_config(page_title="Sarcoma ICI cohort explorer", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", default=True),
    st.Page("pages/cohort.py", title="Cohort"),
    st.Page("pages/survival.py", title="Survival"),
    st.Page("pages/subgroups.py", title="Subgroups"),
    st.Page("pages/response.py", title="Response"),
    st.Page("pages/safety.py", title="Safety & biomarkers"),
]
page = st.navigation(PAGES)
dataset = ui.current_dataset()
ui.sidebar_filters(dataset)
page.run()
