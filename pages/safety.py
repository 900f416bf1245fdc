"""Safety & biomarkers page: adverse events, discontinuations and the biomarkers of responders."""

import streamlit as st

from pages import _shared as ui
from sarcoma.safety import (
    SafetyDataError,
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
    def show(make, **kwargs) -> None:
        """One table; a file without the columns it needs gets a note instead of an error."""
        try:
            st.dataframe(make(), hide_index=True, **kwargs)
        except SafetyDataError as exc:
            st.info(ui.md(exc))

    st.subheader("Adverse events")
    try:
        summary = ae_summary(cohort, events)
    except SafetyDataError as exc:
        st.info(ui.md(exc))
    else:
        st.dataframe(summary[[c for c in ("measure", "value", "not_recorded", "note") if c in summary]], hide_index=True)
    if events is not None and len(events):
        st.markdown("**Adverse events by term**")
        show(lambda: ae_by_term(events))
    else:
        st.caption("No adverse-event table (one row per event) was provided: event counts by term are not available.")
    st.subheader("Treatment status and discontinuation")
    show(lambda: discontinuation_table(cohort))
    st.subheader("Biomarkers")
    show(lambda: biomarker_summary(cohort))
    st.markdown("**Responders (CR/PR) and their biomarkers** (as the seed's Table 3)")
    show(lambda: biomarker_table(cohort))
