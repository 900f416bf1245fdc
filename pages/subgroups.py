"""Subgroups page: every grouping variable, both endpoints, in one table, with a forest plot."""

import streamlit as st

from pages import _shared as ui
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.plots import forest_figure
from sarcoma.subgroups import ADJUSTMENTS, FOREST_KINDS, forest_rows, subgroup_table

ui.require_app()

st.header("Subgroups")
result = ui.filtered()
if ui.enough_patients(result):
    cohort = result.subset
    state = ui.filter_state_from_widgets()
    groupings = ui.grouping_options()
    c1, c2, c3, c4 = st.columns(4)
    adjust = c1.selectbox("Multiplicity adjustment", list(ADJUSTMENTS), format_func=ADJUSTMENTS.get, key="sg_adjust", persist_state="session")
    min_size = c2.number_input("Minimum group size", min_value=1, max_value=50, value=5, key="sg_min", persist_state="session")
    test = c3.selectbox("Test", [t for t in TESTS if t != "trend"], format_func=TESTS.get, key="sg_test", persist_state="session")
    conf_type = c4.selectbox("Median CI", list(CONF_TYPES), format_func=lambda k: k if k != "spss" else "SPSS-compatible", key="sg_ci", persist_state="session")
    chosen = st.multiselect("Variables", list(groupings), default=list(groupings), format_func=lambda k: groupings[k].label, key="sg_vars", persist_state="session")
    problems = {k: p for k in chosen if (p := ui.grouping_problem(result, k)) is not None}
    for key, problem in problems.items():
        ui.not_shown(groupings[key].label, problem)
    chosen = [k for k in chosen if k not in problems]
    if not chosen:
        st.info("Choose at least one variable that splits this selection into groups.")
    else:
        table = ui.memo(
            "subgroups", (tuple(chosen), adjust, int(min_size), test, conf_type),
            lambda: subgroup_table(cohort, groupings=chosen, conf_type=conf_type, test=test, adjust=adjust, min_group_size=int(min_size), line_cut=state.line_cut),
        )
        st.caption(
            f"{table.n_tests} tests in this table; adjusted p-values ({ADJUSTMENTS[adjust]}) are over all {table.n_tests}. "
            f"Groups with fewer than {table.min_group_size} patients are flagged in the Note column."
        )
        st.dataframe(table.display(), hide_index=True)
        st.subheader("Forest plot")
        f1, f2 = st.columns(2)
        endpoint = f1.radio("Endpoint", ["PFS", "OS"], horizontal=True, key="sg_forest_endpoint", persist_state="session")
        kind = f2.radio("Show", ["median", "hr"], horizontal=True, key="sg_forest_kind", persist_state="session",
                        format_func=FOREST_KINDS.get)
        rows, notes = ui.memo("forest", (endpoint, kind, tuple(chosen), adjust, int(min_size), test, conf_type),
                              lambda: forest_rows(table, cohort, endpoint, kind, line_cut=state.line_cut))
        hr = kind == "hr"
        fig = forest_figure(
            rows, estimate="estimate", lower="lower", upper="upper", flag="small", log_x=hr, reference=1.0 if hr else None,
            x_label="Hazard ratio vs reference level (log scale)" if hr else "Median survival, months", style=ui.plot_style(),
        )
        st.caption("Hollow squares: groups below the minimum size. Dotted whiskers: CI limit not reached.")
        for note in notes:
            st.caption(ui.md(note))
        st.plotly_chart(fig, theme=None, config=ui.PLOTLY_CONFIG, key="sg_forest")
