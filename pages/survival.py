"""Survival page: KM curves for PFS or OS by any grouping, with the test and the summary table."""

import streamlit as st

from pages import _shared as ui
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.plots import km_figure

ui.require_app()

st.header("Survival")
result = ui.filtered()
if ui.enough_patients(result):
    cohort = result.subset
    state = ui.filter_state_from_widgets()
    groupings = ui.groupings_for(result)
    c1, c2, c3, c4 = st.columns(4)
    endpoint = c1.radio("Endpoint", ["PFS", "OS"], horizontal=True, key="surv_endpoint", persist_state="session")
    # A string sentinel rather than None: a None option is not restored reliably after a page switch.
    group_choice = c2.selectbox(
        "Compare by", [ui.NO_GROUPING, *groupings],
        format_func=lambda k: "No grouping (all patients)" if k == ui.NO_GROUPING else groupings[k].label,
        key="surv_group", persist_state="session",
    )
    group_key = None if group_choice in (None, ui.NO_GROUPING) else group_choice
    test = c3.selectbox("Test", list(TESTS), format_func=TESTS.get, key="surv_test", persist_state="session")
    conf_type = c4.selectbox("Confidence intervals", list(CONF_TYPES), format_func=lambda k: k if k != "spss" else "SPSS-compatible", key="surv_ci", persist_state="session")
    o1, o2, o3 = st.columns(3)
    show_ci = o1.toggle("CI bands", value=False, key="surv_bands", persist_state="session")
    stratify = o2.toggle("Stratify test by centre", value=False, key="surv_strata", persist_state="session", disabled="center" not in cohort)
    min_size = o3.number_input("Minimum group size", min_value=1, max_value=50, value=5, key="surv_min", persist_state="session")

    res = ui.cached_survival(result, endpoint, group_key, conf_type=conf_type, test=test, stratify_by_center=stratify, min_group_size=int(min_size), line_cut=state.line_cut)
    if not res.curves:
        st.warning(f"No patient in this selection has a usable {endpoint} time and event.")
    else:
        fig = km_figure(
            res.curves, at_risk=res.at_risk, title=f"{'Progression-free' if endpoint == 'PFS' else 'Overall'} survival — {res.grouping_label}",
            annotation=res.test_label(), show_ci=show_ci, colors=ui.colors_for(list(res.curves), group_key), style=ui.plot_style(),
        )
        st.plotly_chart(fig, theme=None, config=ui.PLOTLY_CONFIG, key="surv_fig")
        if res.test_label():
            st.markdown(res.test_label().replace("<br>", "  \n"))
        st.caption(res.methods_note())
        st.dataframe(res.display_table(), hide_index=True)
        st.markdown(f"**{res.follow_up_text()}** · analysed {res.n_analysed} of {res.n_subset} patients in the selection")
        for ex in res.excluded:
            st.caption(f"Not in the curves: {ex.n} patient(s) — {ex.reason}.")
        if group_key and groupings[group_key].post_baseline:
            st.warning(
                "This grouping is known only after treatment starts (response, toxicity). Patients who die "
                "or progress early cannot become responders, so the comparison favours the responders "
                "(guarantee-time bias). Interpret with care."
            )
