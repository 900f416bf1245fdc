"""Cohort page: patient characteristics in the seed's Table 1 shape (sarcoma.views.cohort)."""

import streamlit as st

from pages import _shared as ui
from pages import _url as url
from pages._render import render_view
from sarcoma.views.cohort import CohortOptions, cohort_view

ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("cohort")
    st.stop()

st.header("Cohort")
result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    groupings = {k: g for k, g in ui.grouping_options().items() if not g.post_baseline}
    with ui.options_area():
        by = url.selectbox(st, "Split by", [ui.NO_GROUPING, *groupings], key="cohort_by", param="split", default=ui.NO_GROUPING,
                           format_func=lambda k: "No split" if k == ui.NO_GROUPING else groupings[k].label, persist_state="session")
    options = CohortOptions(by=None if by == ui.NO_GROUPING else by)
    render_view(ui.view("cohort_view", cohort_view, result.subset, options), presentation=ui.presentation())
