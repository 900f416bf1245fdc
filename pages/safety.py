"""Safety & biomarkers page: adverse events, discontinuations and the biomarkers of responders
(sarcoma.views.safety)."""

import streamlit as st

from pages import _shared as ui
from pages._render import render_view
from sarcoma.views.safety import SafetyOptions, safety_view

ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("safety")
    st.stop()

st.header("Safety & biomarkers")
result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    cohort = result.subset
    ds = ui.current_dataset()
    events = ui.adverse_events_for(ds, cohort)
    uploaded = ui.uploaded_adverse_events(ds)  # (file name, events, report) of a separate AE upload
    view = ui.memo("safety_view", (ui.presentation(), uploaded[0] if uploaded else None),
                   lambda: safety_view(cohort, SafetyOptions(), ui.view_context(), adverse_events=events))
    render_view(view, presentation=ui.presentation())
