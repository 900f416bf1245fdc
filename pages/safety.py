"""Safety & biomarkers page: adverse events, discontinuations and the biomarkers of responders."""

import streamlit as st

from pages import _shared as ui
from sarcoma.safety import (
    ae_by_term,
    ae_summary,
    biomarker_summary,
    biomarker_table,
    discontinuation_table,
)

ui.require_app()

st.header("Safety & biomarkers")
result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    cohort = result.subset
    ds = ui.current_dataset()
    events = ui.adverse_events_for(ds, cohort)
    st.subheader("Adverse events")
    summary = ae_summary(cohort, events)
    st.dataframe(summary[[c for c in ("measure", "value", "not_recorded", "note") if c in summary]], hide_index=True)
    if events is not None and len(events):
        st.markdown("**Adverse events by term**")
        st.dataframe(ae_by_term(events), hide_index=True)
    else:
        st.caption("No adverse-event table (one row per event) was provided: event counts by term are not available.")
    st.subheader("Treatment status and discontinuation")
    st.dataframe(discontinuation_table(cohort), hide_index=True)
    st.subheader("Biomarkers")
    st.dataframe(biomarker_summary(cohort), hide_index=True)
    st.markdown("**Responders (CR/PR) and their biomarkers** (as the seed's Table 3)")
    st.dataframe(biomarker_table(cohort), hide_index=True)
