"""Response page: best response, ORR and DCR with exact CIs by a grouping, the association test
and a waterfall plot."""

import streamlit as st

from pages import _shared as ui
from sarcoma.plots import waterfall_figure
from sarcoma.response_view import RESPONSE_GROUPINGS, response_view

ui.require_app()

st.header("Response")
result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    cohort = result.subset
    if "best_response" not in cohort or cohort["best_response"].isna().all():
        st.info("This file has no best-response column, so response rates cannot be computed.")
    else:
        state = ui.filter_state_from_widgets()
        c1, c2, c3 = st.columns(3)
        by = c1.selectbox("Rows", list(RESPONSE_GROUPINGS), format_func=RESPONSE_GROUPINGS.get, key="resp_by", persist_state="session")
        denominator = c2.radio(
            "Denominator", ["evaluable", "all"], key="resp_den", horizontal=True, persist_state="session",
            format_func={"evaluable": "Evaluable patients (CR+PR+SD+PD)", "all": "All treated patients"}.get,
            help="The seed study gives the overall ORR over evaluable patients and the ORR by histotype over all patients.",
        )
        outcome = c3.radio("Association test on", ["responder", "best_response"], key="resp_outcome", horizontal=True, persist_state="session",
                           format_func={"responder": "CR/PR vs other", "best_response": "CR / PR / SD / PD"}.get)
        view = ui.memo("response", (by, denominator, outcome), lambda: response_view(cohort, by, denominator=denominator, outcome=outcome, line_cut=state.line_cut))
        st.markdown(ui.md(view.headline))
        st.dataframe(view.display, hide_index=False)
        st.caption(ui.md(view.methods))
        if view.association is not None:
            st.markdown(f"**Association** ({ui.md(view.association_table_label)}): {ui.md(view.association.describe())}")
        elif view.association_note:
            st.caption(ui.md(view.association_note))
        if "best_pct_change" in cohort and cohort["best_pct_change"].notna().any():
            st.subheader("Waterfall plot")
            fig = waterfall_figure(cohort["best_pct_change"], cohort["best_response"], style=ui.plot_style())
            st.plotly_chart(fig, theme=None, config=ui.PLOTLY_CONFIG, key="waterfall")
            n_missing = int(cohort["best_pct_change"].isna().sum())
            if n_missing:
                st.caption(f"{n_missing} patient(s) without a recorded target-lesion change are not in the waterfall plot.")
