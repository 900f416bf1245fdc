"""Subgroups page: every grouping variable, for the chosen endpoints (PFS and OS by default;
duration of response and time to treatment failure on request), in one table, with a forest
plot (sarcoma.views.subgroups)."""

import streamlit as st

from pages import _shared as ui
from pages import _url as url
from pages._choices import subgroup_test_choices
from pages._render import render_view
from sarcoma.endpoints import ENDPOINTS
from sarcoma.views.subgroups import (
    DEFAULT_FOREST_VARIABLES,
    FOREST_KINDS,
    SubgroupOptions,
    subgroup_view,
)

ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("subgroups")
    st.stop()

st.header("Subgroups")
result = ui.filtered()
if ui.enough_patients(result):
    groupings = ui.grouping_options()
    with ui.options_area():
        adjust, min_size, test, conf_type = subgroup_test_choices()
        v1, v2 = st.columns([1, 2])
        # Short tags, so every chosen endpoint stays in view; whom each counts is in the help and
        # in the view's "Patients analysed" note.
        endpoints = url.multiselect(v1, "Endpoints", list(ENDPOINTS), key="sg_endpoints", param="endpoints", default=["PFS", "OS"],
                                    persist_state="session",
                                    help="Each endpoint adds its tests to the family the adjusted p corrects for. "
                                    + "; ".join(f"{k}: {e.eligibility}" for k, e in ENDPOINTS.items()) + ".")
        chosen = url.multiselect(v2, "Variables", list(groupings), key="sg_vars", param="vars", default=list(groupings),
                                 format_func=lambda k: groupings[k].label, persist_state="session")
        f1, f2, f3 = st.columns([1, 1, 3])
        forest_choices = endpoints or ["PFS"]
        forest_endpoint = url.radio(f1, "Forest plot: endpoint", forest_choices, key="sg_forest_endpoint", param="forest_endpoint",
                                    default=forest_choices[0], horizontal=True, persist_state="session")
        kind = url.radio(f2, "Show", list(FOREST_KINDS), key="sg_forest_kind", param="forest", default="median", horizontal=True,
                         format_func=FOREST_KINDS.get, persist_state="session")
        forest_vars = url.multiselect(f3, "Forest plot: variables", chosen, key="sg_forest_vars", param="forest_vars",
                                      default=[k for k in DEFAULT_FOREST_VARIABLES if k in chosen],
                                      format_func=lambda k: groupings[k].label, persist_state="session")
    if not chosen or not endpoints:
        st.info("Choose at least one endpoint and one variable.")
    else:
        options = SubgroupOptions(
            variables=tuple(chosen), test=test, conf_type=conf_type, adjust=adjust, min_group_size=min_size, endpoints=tuple(endpoints),
            forest_endpoints=(forest_endpoint,), forest_kind=kind, forest_variables=tuple(forest_vars),
        )
        render_view(ui.view("subgroup_view", subgroup_view, result.subset, options), presentation=ui.presentation())
