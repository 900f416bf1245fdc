"""Data page: upload a file (or keep the synthetic sample), map columns, read the data-quality report."""

import streamlit as st

from pages import _shared as ui
from pages._render import show_table
from sarcoma.ingest import CohortReadError, data_dictionary_markdown, template_csv
from sarcoma.report import table_to_csv
from sarcoma.schema import COLUMN_NAMES
from sarcoma.seed_comparison import seed_comparison, seed_statement

ui.require_app()

if ui.pooled_mode():  # issue 15: the analysis pages show a pool of aggregate files, this page the patient file
    st.info("The Cohort, Survival, Subgroups and Response pages show a pool of centres' aggregate files (Pool centres page). "
            "This page is about this session's own patient file.")

st.header("Data")
ds = ui.current_dataset()


def mapping_form(headers: list[str], name: str, data: bytes, missing: tuple[str, ...] = (), not_shown: int = 0) -> None:
    """Let the user say which field of the data dictionary an unrecognised column holds."""
    st.subheader("Columns that were not recognised")
    headers = list(dict.fromkeys(headers))  # a header used twice is one choice (widget keys are unique)
    if missing:
        st.markdown("The analysis needs: " + ", ".join(f"`{m}`" for m in missing) + ". Map the column that holds each of them.")
    st.markdown("Map a column to a field of the data dictionary if it holds one; leave it unmapped otherwise.")
    if not_shown:  # ingest lists a bounded number of columns (likely candidates first)
        st.caption(
            f"{not_shown} more unrecognised column(s) are not listed. Remove the columns the analysis does not need "
            "(notes, free text) before exporting, to map the rest."
        )
    choices = {}
    for header in headers:
        target = st.selectbox(f"“{ui.md(header)}”", ["(not used)", *COLUMN_NAMES], key=f"map_{header}")
        if target != "(not used)":
            choices[header] = target
    if choices and st.button("Apply column mapping", type="primary"):
        try:
            new = ui.load_dataset(name, data, column_map=choices)
        except CohortReadError as exc:
            ui.read_error(exc)
        else:
            ui.use_dataset(new)
            st.session_state["upload_name"] = (name, len(data))
            st.rerun()


uploaded = st.file_uploader(
    "Upload your centre's cohort (CSV or Excel .xlsx, one row per patient)", type=["csv", "txt", "tsv", "xlsx"],
    key="upload", help="The file stays in this browser session: it is not saved on the server and not shared.",
)
if uploaded is not None and st.session_state.get("upload_name") != (uploaded.name, uploaded.size):
    try:
        ds = ui.load_dataset(uploaded.name, uploaded.getvalue())
    except CohortReadError as exc:
        ui.read_error(exc)
        if exc.unmatched_columns:
            mapping_form(list(exc.unmatched_columns), uploaded.name, uploaded.getvalue(), exc.missing_columns, exc.unmatched_not_shown)
            st.stop()
    else:
        ui.use_dataset(ds)
        st.session_state["upload_name"] = (uploaded.name, uploaded.size)
        st.rerun()
if not ds.is_sample and st.button("Go back to the synthetic sample cohort"):
    ui.use_dataset(ui.sample_dataset())
    st.session_state.pop("upload_name", None)
    st.rerun()

if ds.is_sample:
    comparison = ui.memo("seed_comparison", (), lambda: seed_comparison(ds.cohort))
    st.info(
        "You are looking at a **synthetic** cohort of 72 patients; no real patient data is included. "
        + ui.md(seed_statement(comparison))
    )
    with st.expander("The sample and the seed paper, result by result"):
        show_table(comparison, presentation=ui.presentation(), key="seed_comparison")

report = ds.report
st.subheader("Data-quality report")
st.markdown(f"**{ui.md(ds.name)}**")
st.text(report.summary())
st.dataframe(report.counts(), hide_index=True)
issues = report.to_frame()
if len(issues):
    st.markdown("Every row that was excluded from an endpoint, or whose value was changed, is listed with the reason:")
    st.dataframe(issues, hide_index=True)
    # Cells quote the uploaded file: neutralised against spreadsheet formulas like every export.
    st.download_button("Download the data-quality report (CSV)", table_to_csv(issues), "data_quality_report.csv", "text/csv")
else:
    st.success("No problems found: every row is analysed for every endpoint.")
unmatched = list(report.unmatched_columns)
if unmatched and not ds.is_sample and uploaded is not None:
    mapping_form(unmatched, uploaded.name, uploaded.getvalue(), not_shown=report.unmatched_not_shown)

st.subheader("Adverse events (optional)")
held = ui.uploaded_adverse_events(ds)
if held is not None:
    st.caption(f"Adverse-event table: {ui.md(held[0])}")
    st.text(held[2].summary())
elif getattr(report, "adverse_events", None) is not None:
    st.caption(f"Adverse-event table read from the workbook sheet: {len(report.adverse_events)} events.")
ae_file = st.file_uploader(
    "Upload a separate adverse-event table (CSV or .xlsx: patient_id, term, grade, led_to_delay, led_to_discontinuation)",
    type=["csv", "txt", "tsv", "xlsx"], key="ae_upload",
)
if ae_file is not None and (held is None or held[0] != ae_file.name):
    try:
        ui.attach_adverse_events(ds, ae_file.name, ae_file.getvalue())
    except CohortReadError as exc:
        ui.read_error(exc)
    else:
        st.rerun()

st.subheader("Template and data dictionary")
c1, c2 = st.columns(2)
c1.download_button("Download the template (CSV)", template_csv(), "cohort_template.csv", "text/csv")
c2.download_button("Download the data dictionary (Markdown)", data_dictionary_markdown().encode("utf-8"), "data_dictionary.md", "text/markdown")
with st.expander("Data dictionary"):
    st.markdown(data_dictionary_markdown())
