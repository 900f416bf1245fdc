"""Report page: the methods paragraph, the one-click HTML report and PowerPoint deck of what the
pages show, and downloads of single figures (PNG/SVG/PDF) and tables (CSV/XLSX).

Layout only: the report is assembled by sarcoma.report from the same Views the pages render,
with the options each page last used (so the report cannot differ from the pages). Files are
generated when a button is clicked (st.download_button runs a callable on click).
"""

import dataclasses
import datetime as dt
import functools

import streamlit as st

from pages import _shared as ui
from pages import _url as url
from sarcoma.report.collect import (
    DEFAULT_DECK,
    ReportOptions,
    collect_report,
    report_file_name,
    slug,
)
from sarcoma.views.cohort import CohortOptions
from sarcoma.views.response import ResponseOptions
from sarcoma.views.subgroups import SubgroupOptions
from sarcoma.views.survival import SurvivalOptions
from sarcoma.views.swimmer import SwimmerOptions

DECK_CACHE_KEY = "_deck_cache"
DECK_CACHE_SIZE = 4


def _now(meta):
    # The report is cached per view; the files carry the time they were made.
    return dataclasses.replace(meta, generated=dt.datetime.now().replace(microsecond=0))


def deck(cache: dict, key: tuple, build_report, slides) -> bytes:
    """The deck from the report drawn for slides (the same views, larger type).

    Runs on the download's own thread, where Streamlit's session state cannot be read: it gets a
    plain dict of this session (`cache`) and a `build_report` that holds its data. The report
    and its figures' PNGs are kept per (dataset, filters, options), so a deck rebuilt with other
    slides or another order exports no picture twice."""
    from sarcoma.report.pptx_report import figure_png, pptx_report

    if key not in cache:
        while len(cache) >= DECK_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = (build_report(), {})
    (sections, meta), pngs = cache[key]

    def render(section) -> bytes:
        if section.key not in pngs:
            pngs[section.key] = figure_png(section)
        return pngs[section.key]

    return pptx_report(sections, _now(meta), deck=slides, render=render)


def html(sections, meta) -> bytes:
    from sarcoma.report.html_report import html_report

    return html_report(sections, _now(meta))


def figure_file(section, fmt: str) -> bytes:
    from sarcoma.report.exports import export_figure

    return export_figure(section.figure, fmt)


def table_file(section, fmt: str) -> bytes:
    from sarcoma.report.exports import export_table

    return export_table(section.table, fmt, sheet_name=section.title)


def all_tables(sections) -> bytes:
    from sarcoma.report.exports import tables_to_xlsx

    return tables_to_xlsx({s.title: s.table for s in sections if s.kind == "table"})


ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("report")
    st.stop()

st.header("Report")
result = ui.filtered()
if ui.enough_patients(result):
    from sarcoma.report.exports import FIGURE_FORMATS, TABLE_FORMATS, warm_up_static_export

    ds = ui.current_dataset()
    state = ui.filter_state_from_widgets()
    options = ReportOptions(
        table1=ui.view_options("cohort_view", CohortOptions()),
        survival=ui.view_options("survival_view", SurvivalOptions()),
        subgroups=ui.view_options("subgroup_view", SubgroupOptions()),
        response=ui.view_options("response_view", ResponseOptions()),
        swimmer=ui.view_options("swimmer_view", SwimmerOptions()),
        line_cut=state.line_cut, presentation=ui.presentation(),
    )
    st.caption(
        "The report shows what the Cohort, Survival, Subgroups and Response pages show, with the choices made there "
        "(a page not visited yet uses its defaults); Kaplan-Meier curves are drawn for every endpoint the data support."
    )

    # Everything a report needs, bound here: the deck is built on the download's own thread.
    report_of = functools.partial(
        collect_report, result, cohort_name=ds.name, file_name="" if ds.is_sample else ds.name,
        adverse_events=ui.adverse_events_for(ds, result.subset), quality=ds.report, dataset=ui.dataset_derived(),
    )
    with st.spinner("Assembling the report..."):
        sections, meta = ui.memo("report", (options,), lambda: report_of(options))
    projector = dataclasses.replace(options, slides=True)
    build_deck_report = functools.partial(report_of, projector)
    deck_key = (ds.digest, state, projector)
    deck_cache = st.session_state.setdefault(DECK_CACHE_KEY, {})

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

    st.subheader("Tumour-board deck")
    titles = {s.key: f"{s.chapter}: {s.title}" for s in sections if s.kind != "text" or s.key == "methods"}
    keys = url.multiselect(
        st, "Slides, in order (the title slide comes first)", list(titles), key="rep_deck", param="deck",
        default=[k for k in DEFAULT_DECK if k in titles], format_func=lambda k: titles[k],
        help="Remove a slide with its ×; add one from the list; the deck follows the order shown here.",
    )
    r1, r2 = st.columns(2)
    r1.download_button(
        "Download the PowerPoint deck", data=functools.partial(deck, deck_cache, deck_key, build_deck_report, keys),
        file_name=report_file_name(meta, "pptx"),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", on_click="ignore", key="rep_pptx",
        disabled=not browser or not keys, type="primary",
        help="The title slide and the slides above, in that order; every text at least 14 pt.",
    )
    r2.download_button(
        "Download the HTML report (everything)", data=lambda: html(sections, meta), file_name=report_file_name(meta, "html"),
        mime="text/html", on_click="ignore", key="rep_html",
        help="One file that opens offline in any browser; all figures and full tables, figures stay interactive.",
    )
    st.download_button(
        "Download every table (one XLSX workbook)", data=functools.partial(all_tables, sections),
        file_name=report_file_name(meta, "xlsx"), mime=TABLE_FORMATS["xlsx"], on_click="ignore", key="rep_all_tables",
    )

    st.subheader("Figures")
    for section in (s for s in sections if s.kind == "figure"):
        cols = st.columns([3, 1, 1, 1])
        cols[0].markdown(ui.md(section.title))
        for col, fmt in zip(cols[1:], FIGURE_FORMATS, strict=True):
            col.download_button(
                fmt.upper(), data=functools.partial(figure_file, section, fmt), file_name=f"{slug(section.key)}.{fmt}",
                mime=FIGURE_FORMATS[fmt], on_click="ignore", key=f"rep_fig_{section.key}_{fmt}", disabled=not browser,
            )

    st.subheader("Tables")
    for section in (s for s in sections if s.kind == "table"):
        cols = st.columns([4, 1, 1])
        cols[0].markdown(ui.md(section.title))
        for col, fmt in zip(cols[1:], TABLE_FORMATS, strict=True):
            col.download_button(
                fmt.upper(), data=functools.partial(table_file, section, fmt), file_name=f"{slug(section.key)}.{fmt}",
                mime=TABLE_FORMATS[fmt], on_click="ignore", key=f"rep_tab_{section.key}_{fmt}",
            )
    st.caption(
        "CSV files are UTF-8 with a byte-order mark so Excel shows accents correctly. Text cells starting with "
        "=, +, -, @ are prefixed with ' so a spreadsheet never runs them as formulas."
    )
