"""Survival page: Kaplan-Meier curves of an endpoint by any grouping (sarcoma.views.survival)."""

import streamlit as st

from pages import _shared as ui
from pages import _url as url
from pages._choices import ci_label
from pages._render import render_view
from sarcoma.endpoints import ENDPOINTS
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.risk_table import LAYOUTS
from sarcoma.views.survival import SurvivalOptions, survival_view

ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("survival")
    st.stop()

st.header("Survival")
result = ui.filtered()
if ui.enough_patients(result):
    cohort = result.subset
    groupings = ui.grouping_options()
    with ui.options_area():
        c1, c2, c3, c4 = st.columns(4)
        endpoint = url.radio(c1, "Endpoint", list(ENDPOINTS), key="surv_endpoint", param="endpoint", default="PFS",
                             horizontal=True, persist_state="session")
        # A string sentinel rather than None: a None option is not restored reliably after a page switch.
        group_choice = url.selectbox(
            c2, "Compare by", [ui.NO_GROUPING, *groupings], key="surv_group", param="by", default=ui.NO_GROUPING,
            format_func=lambda k: "No grouping (all patients)" if k == ui.NO_GROUPING else groupings[k].label, persist_state="session",
        )
        test = url.selectbox(c3, "Test", list(TESTS), key="surv_test", param="test", default="logrank", format_func=TESTS.get, persist_state="session")
        conf_type = url.selectbox(c4, "Confidence intervals", list(CONF_TYPES), key="surv_ci", param="ci", default="log-log",
                                  format_func=ci_label, persist_state="session")
        o1, o2, o3, o4 = st.columns(4)
        show_ci = url.toggle(o1, "CI bands", key="surv_bands", param="bands", persist_state="session")
        stratify = url.toggle(o2, "Stratify test by centre", key="surv_strata", param="strata", persist_state="session",
                              disabled="center" not in cohort)
        risk = url.selectbox(o3, "Table under the curves", list(LAYOUTS), key="surv_risk", param="risk", default="at_risk",
                             format_func=LAYOUTS.get, persist_state="session",
                             help="KMunicate (Morris et al., BMJ Open 2019): number at risk, cumulative censored and cumulative events per group.")
        min_size = url.number(o4, "Minimum group size", key="surv_min", param="min", default=5, min_value=1, max_value=50, persist_state="session")
    options = SurvivalOptions(
        endpoint=endpoint, grouping=None if group_choice == ui.NO_GROUPING else group_choice, test=test,
        conf_type=conf_type, show_ci=show_ci, stratify=stratify, min_group_size=min_size, risk_table=risk,
    )
    render_view(ui.view("survival_view", survival_view, cohort, options), presentation=ui.presentation())
