"""The pooled pages' bodies (pooled mode, see `pages/_pool.py`): the same options as the
patient-row pages, rendered through the pooled Views of `sarcoma.views.pooled`. Views are
memoised per (pool, centres chosen, options, display mode) in this session."""

from __future__ import annotations

import streamlit as st

from pages import _url as url
from pages._choices import ci_label, subgroup_test_choices
from pages._pool import selected, session
from pages._render import render_view
from pages._state import NO_GROUPING, options_area, presentation
from sarcoma.federated import CENTRE, Pooled
from sarcoma.formatting import markdown_escape as md
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.plots import PlotStyle
from sarcoma.risk_table import LAYOUTS
from sarcoma.views import ViewContext
from sarcoma.views.cohort import CohortOptions
from sarcoma.views.pooled import (
    NEEDS_ROWS,
    HeterogeneityOptions,
    heterogeneity_view,
    pooled_cohort_view,
    pooled_response_groupings,
    pooled_response_view,
    pooled_subgroup_view,
    pooled_survival_view,
)
from sarcoma.views.response import DENOMINATOR_HEADERS, OUTCOMES, ResponseOptions
from sarcoma.views.subgroups import DEFAULT_FOREST_VARIABLES, FOREST_KINDS, SubgroupOptions
from sarcoma.views.survival import SurvivalOptions

MEMO_KEY = "_pool_memo"
MEMO_SIZE = 32
OPTIONS_KEY = "_pool_view_options"


# --------------------------------------------------------------------------- views


def context() -> ViewContext:
    return ViewContext(dataset=None, line_cut=session().pooled.line_cut,
                       style=PlotStyle.presentation() if presentation() else PlotStyle())


def view(name: str, build, options):
    """A pooled view, computed once per (pool, centres chosen, options, display mode)."""
    pooled = selected()
    st.session_state.setdefault(OPTIONS_KEY, {})[name] = options  # the Report page shows what the pages show
    store = st.session_state.setdefault(MEMO_KEY, {})
    key = (name, pooled.digest, options, presentation())
    if key in store:
        value = store.pop(key)
    else:
        value = build(pooled, options, context())
        while len(store) >= MEMO_SIZE:
            store.pop(next(iter(store)))
    store[key] = value
    return value


def _caption(pooled: Pooled) -> None:
    st.caption(md(f"Pooled data: {len(pooled.files)} centre(s), {pooled.n_patients} patients, from aggregate files "
                  "(Pool centres page). The numbers are those of the pooled patient rows."))


def survival_page() -> None:
    st.header("Survival")
    pooled = selected()
    _caption(pooled)
    endpoints = pooled.endpoints()
    groupings = pooled.groupings()
    if not endpoints:
        st.warning("The pooled files share no endpoint with patients.")
        return
    with options_area():
        c1, c2, c3, c4 = st.columns(4)
        endpoint = url.radio(c1, "Endpoint", list(endpoints), key="pool_surv_endpoint", param="endpoint", default=next(iter(endpoints)),
                             horizontal=True, persist_state="session")
        group_choice = url.selectbox(c2, "Compare by", [NO_GROUPING, *groupings], key="pool_surv_group", param="by", default=NO_GROUPING,
                                     format_func=lambda k: "No grouping (all patients)" if k == NO_GROUPING else groupings[k].label, persist_state="session")
        test = url.selectbox(c3, "Test", list(TESTS), key="pool_surv_test", param="test", default="logrank", format_func=TESTS.get, persist_state="session")
        conf_type = url.selectbox(c4, "Confidence intervals", list(CONF_TYPES), key="pool_surv_ci", param="ci", default="log-log",
                                  format_func=ci_label, persist_state="session")
        o1, o2, o3, o4 = st.columns(4)
        show_ci = url.toggle(o1, "CI bands", key="pool_surv_bands", param="bands", persist_state="session")
        stratify = url.toggle(o2, "Stratify test by centre", key="pool_surv_strata", param="pstrata", default=True,
                              help="Each centre is a stratum: the test compares groups within centres, as a multi-centre study should.", persist_state="session")
        risk = url.selectbox(o3, "Table under the curves", list(LAYOUTS), key="pool_surv_risk", param="risk", default="at_risk",
                             format_func=LAYOUTS.get, persist_state="session")
        min_size = url.number(o4, "Minimum group size", key="pool_surv_min", param="min", default=5, min_value=1, max_value=50, persist_state="session")
    grouping = None if group_choice == NO_GROUPING else group_choice
    options = SurvivalOptions(endpoint=endpoint, grouping=grouping, test=test, conf_type=conf_type, show_ci=show_ci,
                              stratify=stratify, min_group_size=min_size, risk_table=risk)
    render_view(view("pooled_survival", pooled_survival_view, options), presentation=presentation())
    heterogeneity_section(pooled, endpoint, grouping, conf_type)


def heterogeneity_section(pooled: Pooled, endpoint: str, grouping: str | None, conf_type: str) -> None:
    st.subheader("Between centres")
    st.caption("Does one centre drive the pooled result? Each centre's median and, for two groups, its log-rank based "
               "(Peto) hazard ratio, with Cochran's Q and I².")
    reference = comparison = None
    if grouping is not None and grouping != CENTRE:
        try:
            levels = [str(lv) for lv in pooled.life_table(endpoint, grouping).groups]
        except Exception:  # noqa: BLE001 - no table by this grouping: the medians alone
            levels = []
        if len(levels) >= 2:
            h1, h2 = st.columns(2)
            ref_key, cmp_key = f"pool_het_ref_{grouping}", f"pool_het_cmp_{grouping}"
            if st.session_state.get(ref_key) not in levels:
                st.session_state.pop(ref_key, None)  # a level the centre filter removed: the default again
            reference = h1.selectbox("Reference group", levels, key=ref_key)
            others = [lv for lv in levels if lv != reference]
            if st.session_state.get(cmp_key) not in others:
                st.session_state.pop(cmp_key, None)
            comparison = h2.selectbox("Compared group", others, key=cmp_key)
    level = comparison
    options = HeterogeneityOptions(endpoint=endpoint, grouping=grouping if level is not None else None, reference=reference,
                                   comparison=comparison, conf_type=conf_type)
    render_view(view("pooled_heterogeneity", heterogeneity_view, options), presentation=presentation(), key="heterogeneity")


def subgroups_page() -> None:
    st.header("Subgroups")
    pooled = selected()
    _caption(pooled)
    groupings = {k: g for k, g in pooled.groupings().items() if k != CENTRE}
    pooled_endpoints = pooled.endpoints()
    with options_area():
        adjust, min_size, test, conf_type = subgroup_test_choices("pool_")
        v1, v2 = st.columns([1, 3])
        endpoints = url.multiselect(v1, "Endpoints", list(pooled_endpoints), key="pool_sg_endpoints", param="endpoints",
                                    default=[e for e in ("PFS", "OS") if e in pooled_endpoints], persist_state="session",
                                    format_func=lambda k: f"{k} ({pooled_endpoints[k]})",
                                    help="Each endpoint adds its tests to the family the adjusted p corrects for.")
        chosen = url.multiselect(v2, "Variables", list(groupings), key="pool_sg_vars", param="vars", default=list(groupings),
                                 format_func=lambda k: groupings[k].label, persist_state="session")
        f1, f2 = st.columns([1, 3])
        forest_endpoint = url.radio(f1, "Forest plot: endpoint", endpoints or ["PFS"], key="pool_sg_forest_endpoint",
                                    param="forest_endpoint", default=(endpoints or ["PFS"])[0], horizontal=True, persist_state="session")
        forest_vars = url.multiselect(f2, "Forest plot: variables", chosen, key="pool_sg_forest_vars", param="forest_vars",
                                      default=[k for k in DEFAULT_FOREST_VARIABLES if k in chosen], format_func=lambda k: groupings[k].label, persist_state="session")
        st.caption(f"Forest plot: {FOREST_KINDS['median']}. " + NEEDS_ROWS["cox"])
    if not chosen or not endpoints:
        st.info("Choose at least one endpoint and one variable.")
        return
    options = SubgroupOptions(variables=tuple(chosen), endpoints=tuple(endpoints), test=test, conf_type=conf_type, adjust=adjust, min_group_size=min_size,
                              forest_endpoints=(forest_endpoint,), forest_kind="median", forest_variables=tuple(forest_vars))
    render_view(view("pooled_subgroups", pooled_subgroup_view, options), presentation=presentation())


def response_page() -> None:
    st.header("Response")
    pooled = selected()
    _caption(pooled)
    groupings = pooled_response_groupings(pooled)
    with options_area():
        c1, c2, c3 = st.columns(3)
        by = url.selectbox(c1, "Rows", list(groupings), key="pool_resp_by", param="rows", default="histotype" if "histotype" in groupings
                           else next(iter(groupings)), format_func=groupings.get, persist_state="session")
        denominator = url.radio(c2, "Denominator", list(DENOMINATOR_HEADERS), key="pool_resp_den", param="denominator",
                                default="evaluable", horizontal=True,
                                format_func={"evaluable": "Evaluable patients (CR+PR+SD+PD)", "all": "All treated patients"}.get, persist_state="session")
        outcome = url.radio(c3, "Association test on", list(OUTCOMES), key="pool_resp_outcome", param="assoc", default="responder",
                            horizontal=True, format_func=OUTCOMES.get, persist_state="session")
    options = ResponseOptions(by=by, denominator=denominator, outcome=outcome)
    render_view(view("pooled_response", pooled_response_view, options), presentation=presentation())


def cohort_page() -> None:
    st.header("Cohort")
    pooled = selected()
    _caption(pooled)
    with options_area():
        by = url.selectbox(st, "Split by", [NO_GROUPING, CENTRE], key="pool_cohort_by", param="split", default=NO_GROUPING,
                           format_func=lambda k: "No split" if k == NO_GROUPING else "Centre",
                           help="Pooled data can be split by centre only: another split would cross two variables.", persist_state="session")
    options = CohortOptions(by=None if by == NO_GROUPING else by)
    render_view(view("pooled_cohort", pooled_cohort_view, options), presentation=presentation())


def needs_rows_page(title: str, *reasons: str) -> None:
    """A page whose analyses need patient rows: it says so instead of showing wrong numbers."""
    st.header(title)
    st.info(md(f"This page needs patient rows, and the pages now show a pool of aggregate files. {' '.join(reasons)}"))
    st.caption("Leave pooled mode (sidebar: Back to the patient file) to analyse this session's own patient file here.")


def report_page() -> None:
    """The report of the pool: the pooled views with the options the pages last used."""
    import dataclasses
    import datetime as dt

    from sarcoma.report.collect import report_file_name
    from sarcoma.report.exports import tables_to_xlsx
    from sarcoma.report.html_report import html_report
    from sarcoma.report.pooled import PooledReportOptions, collect_pooled_report

    st.header("Report")
    pooled = selected()
    _caption(pooled)
    used = st.session_state.get(OPTIONS_KEY, {})
    options = PooledReportOptions(
        table1=used.get("pooled_cohort", CohortOptions()), survival=used.get("pooled_survival", SurvivalOptions(stratify=True)),
        subgroups=used.get("pooled_subgroups", SubgroupOptions()), response=used.get("pooled_response", ResponseOptions()),
        presentation=presentation(),
    )
    store = st.session_state.setdefault(MEMO_KEY, {})
    key = ("pooled_report", pooled.digest, options)
    if key not in store:
        with st.spinner("Assembling the report..."):
            store[key] = collect_pooled_report(pooled, options)
    sections, meta = store[key]
    st.markdown(f"**{md(meta.cohort_name)}** — {md(meta.n_line())}")
    st.caption("The report shows what the pooled Cohort, Survival, Subgroups and Response pages show, with the choices made "
               "there; Kaplan-Meier curves and medians by centre for every pooled endpoint.")
    st.subheader("Methods paragraph")
    st.code(next(s.text for s in sections if s.key == "methods"), language=None, wrap_lines=True)
    now = dt.datetime.now().replace(microsecond=0)
    c1, c2 = st.columns(2)
    c1.download_button("Download the HTML report (everything)", data=lambda: html_report(sections, dataclasses.replace(meta, generated=now)),
                       file_name=report_file_name(meta, "html"), mime="text/html", on_click="ignore", key="pool_rep_html", type="primary")
    c2.download_button("Download every table (one XLSX workbook)",
                       data=lambda: tables_to_xlsx({s.title: s.table for s in sections if s.kind == "table"}),
                       file_name=report_file_name(meta, "xlsx"),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore", key="pool_rep_xlsx")
    st.caption("The slide deck and single-figure exports are made from patient-row reports; the HTML report holds every pooled "
               "figure (interactive) and table.")


PAGES = {
    "survival": survival_page,
    "subgroups": subgroups_page,
    "response": response_page,
    "cohort": cohort_page,
    "models": lambda: needs_rows_page("Landmark & Cox", NEEDS_ROWS["landmark"], NEEDS_ROWS["cox"],
                                      "Restricted mean survival time is not offered on pooled data yet."),
    "safety": lambda: needs_rows_page("Safety & biomarkers", NEEDS_ROWS["safety"],
                                      "Biomarkers of responders are listed patient by patient."),
    "report": report_page,
}

