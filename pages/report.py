"""Report page: the methods paragraph, the one-click HTML and PowerPoint reports of the current
view, and downloads of single figures (PNG/SVG/PDF) and tables (CSV/XLSX).

Layout only: the report is assembled by sarcoma.report. Files are generated when a button is
clicked (st.download_button runs a callable on click), so nothing heavy runs on every rerun.
"""

import dataclasses
import datetime as dt
import functools

import streamlit as st

from pages import _shared as ui
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.report import (
    FIGURE_FORMATS,
    TABLE_FORMATS,
    collect_report,
    export_figure,
    export_table,
    html_report,
    options_from_state,
    pptx_report,
    report_file_name,
    tables_to_xlsx,
)
from sarcoma.report.collect import slug
from sarcoma.report.exports import warm_up_static_export
from sarcoma.response_view import RESPONSE_GROUPINGS
from sarcoma.subgroups import ADJUSTMENTS


def _index(options: list, value: object) -> int:
    return options.index(value) if value in options else 0


def _now(meta):
    # The report is cached per view; the files carry the time they were made.
    return dataclasses.replace(meta, generated=dt.datetime.now().replace(microsecond=0))


ui.require_app()

st.header("Report")
result = ui.filtered()
if ui.enough_patients(result):
    ds = ui.current_dataset()
    cohort = result.subset
    state = ui.filter_state_from_widgets()
    base = options_from_state(st.session_state, line_cut=state.line_cut, presentation=ui.presentation())
    groupings = ui.groupings_for(result)

    with st.expander("Report options", expanded=False):
        st.caption("They start from your choices on the Cohort, Survival, Subgroups and Response pages.")
        c1, c2, c3 = st.columns(3)
        group_keys = [None, *groupings]
        grouping = c1.selectbox("Compare survival by", group_keys, index=_index(group_keys, base.survival_grouping),
                                format_func=lambda k: "No grouping (all patients)" if k is None else groupings[k].label, key="rep_group")
        test = c2.selectbox("Test", list(TESTS), index=_index(list(TESTS), base.test), format_func=TESTS.get, key="rep_test")
        conf_type = c3.selectbox("Confidence intervals", list(CONF_TYPES), index=_index(list(CONF_TYPES), base.conf_type),
                                 format_func=lambda k: k if k != "spss" else "SPSS-compatible", key="rep_ci")
        c4, c5, c6 = st.columns(3)
        adjust = c4.selectbox("Multiplicity adjustment", list(ADJUSTMENTS), index=_index(list(ADJUSTMENTS), base.adjust),
                              format_func=ADJUSTMENTS.get, key="rep_adjust")
        response_by = c5.selectbox("Response table rows", list(RESPONSE_GROUPINGS), index=_index(list(RESPONSE_GROUPINGS), base.response_by),
                                   format_func=RESPONSE_GROUPINGS.get, key="rep_resp_by")
        denominator = c6.radio("Response denominator", ["evaluable", "all"], index=_index(["evaluable", "all"], base.denominator),
                               format_func={"evaluable": "Evaluable patients", "all": "All treated patients"}.get, key="rep_den", horizontal=True)
        table1_keys = [None, *[k for k, g in groupings.items() if not g.post_baseline]]
        table1_by = st.selectbox("Split Table 1 by", table1_keys, index=_index(table1_keys, base.table1_by),
                                 format_func=lambda k: "No split" if k is None else groupings[k].label, key="rep_t1")
        stratify = st.toggle("Stratify the survival test by centre", value=base.stratify_by_center, key="rep_strata", disabled="center" not in cohort)

    subgroup_vars = tuple(k for k in (base.subgroup_variables or ()) if k in groupings) or None
    options = dataclasses.replace(
        base, survival_grouping=grouping, test=test, conf_type=conf_type, adjust=adjust, response_by=response_by,
        denominator=denominator, table1_by=table1_by, stratify_by_center=stratify, subgroup_variables=subgroup_vars,
    )
    with st.spinner("Assembling the report..."):
        report = ui.memo("report", (options,), lambda: collect_report(
            result, options, cohort_name=ds.name, file_name="" if ds.is_sample else ds.name,
            adverse_events=ui.adverse_events_for(ds, result.subset), quality=ds.report,
        ))
    sections, meta = report

    st.markdown(f"**{ui.md(meta.cohort_name)}** — {ui.md(meta.n_line())}")
    for line in meta.filter_lines():
        st.caption(ui.md(line))

    st.subheader("Methods paragraph")
    methods = next(s.text for s in sections if s.key == "methods")
    st.code(methods, language=None, wrap_lines=True)
    st.caption("Copy it with the button at the top right of the box; it describes exactly the options of this report.")

    browser = warm_up_static_export()  # the browser starts while the user reads the page
    if not browser:
        st.warning(
            "PNG, SVG, PDF and PowerPoint exports need the Chromium browser, which is not installed on this "
            "server (Debian: `apt-get install chromium`). The HTML report and the tables work without it."
        )

    st.subheader("Whole report")
    r1, r2 = st.columns(2)
    r1.download_button(
        "Download the HTML report", data=lambda: html_report(sections, _now(meta)), file_name=report_file_name(meta, "html"),
        mime="text/html", on_click="ignore", key="rep_html", type="primary",
        help="One file that opens offline in any browser; figures stay interactive.",
    )
    r2.download_button(
        "Download the PowerPoint deck", data=lambda: pptx_report(sections, _now(meta)), file_name=report_file_name(meta, "pptx"),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", on_click="ignore", key="rep_pptx",
        disabled=not browser, help="Title slide, one slide per figure and table, the methods paragraph. Takes a few seconds.",
    )

    tables = {s.title: s.table for s in sections if s.kind == "table"}
    st.download_button(
        "Download every table (one XLSX workbook)", data=functools.partial(tables_to_xlsx, tables),
        file_name=report_file_name(meta, "xlsx"), mime=TABLE_FORMATS["xlsx"], on_click="ignore", key="rep_all_tables",
    )

    st.subheader("Figures")
    for section in (s for s in sections if s.kind == "figure"):
        cols = st.columns([3, 1, 1, 1])
        cols[0].markdown(ui.md(section.title))
        for col, fmt in zip(cols[1:], FIGURE_FORMATS, strict=True):
            col.download_button(
                fmt.upper(), data=functools.partial(export_figure, section.figure, fmt), file_name=f"{slug(section.key)}.{fmt}",
                mime=FIGURE_FORMATS[fmt], on_click="ignore", key=f"rep_fig_{section.key}_{fmt}", disabled=not browser,
            )

    st.subheader("Tables")
    for section in (s for s in sections if s.kind == "table"):
        cols = st.columns([4, 1, 1])
        cols[0].markdown(ui.md(section.title))
        for col, fmt in zip(cols[1:], TABLE_FORMATS, strict=True):
            col.download_button(
                fmt.upper(), data=functools.partial(export_table, section.table, fmt, sheet_name=section.title),
                file_name=f"{slug(section.key)}.{fmt}", mime=TABLE_FORMATS[fmt], on_click="ignore", key=f"rep_tab_{section.key}_{fmt}",
            )
    st.caption(
        "CSV files are UTF-8 with a byte-order mark so Excel shows accents correctly. Text cells starting with "
        "=, +, -, @ are prefixed with ' so a spreadsheet never runs them as formulas."
    )
