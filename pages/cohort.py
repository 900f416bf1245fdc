"""Cohort page: patient characteristics in the seed's Table 1 shape, optionally split by a variable."""

import streamlit as st

from pages import _shared as ui
from sarcoma.characteristics import characteristics_table

ui.require_app()

st.header("Cohort")
result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    cohort = result.subset
    state = ui.filter_state_from_widgets()
    groupings = {k: g for k, g in ui.grouping_options().items() if not g.post_baseline}
    by = st.selectbox("Split by", [None, *groupings], format_func=lambda k: "No split" if k is None else groupings[k].label, key="cohort_by", persist_state="session")
    if (problem := ui.grouping_problem(result, by)) is not None:
        ui.not_shown(f"Split by {groupings[by].label}", problem)
        by = None
    # The grouping key (not its label): the split variable leaves the rows and keeps its order.
    table = ui.memo("table1", (by,), lambda: characteristics_table(cohort, by=by, line_cut=state.line_cut))
    st.markdown(f"**Patient characteristics** ({ui.md(result.headline())})")
    st.dataframe(table, hide_index=True, height=min(38 * (len(table) + 1), 1400))
    st.caption(
        "Categorical variables: n (% of all patients in the column); continuous: median (min–max). "
        + ("Tests: Pearson chi-square (Fisher's exact for 2×2 tables with small expected counts) for categorical "
           "variables, Mann-Whitney U or Kruskal-Wallis for continuous ones." if by else "")
    )
