"""Share aggregates page (centre side): the counts this centre can send to a coordinator instead
of patient rows, previewed exactly as they leave the centre (sarcoma.federated)."""

import re

import pandas as pd
import streamlit as st

from pages import _pool as pool_ui
from pages import _shared as ui
from sarcoma.endpoints import endpoint_data
from sarcoma.errors import SarcomaError
from sarcoma.federated import SMALL_CELL_MODES, TIME_PRECISIONS, aggregate_document, document_bytes
from sarcoma.views.survival import GUARANTEE_TIME_WARNING

PREVIEW_CHARS = 200_000

ui.require_app()

st.header("Share aggregates")
st.markdown(
    "Instead of sending patient rows to a coordinator, share the **counts** every pooled Kaplan-Meier curve, log-rank test "
    "and response rate is computed from: per endpoint and group, the events and censorings at each time; best-response "
    "counts; Table 1 counts. The coordinator pools the files of several centres on the **Pool centres** page and gets the "
    "same numbers as if the rows had been pooled. Nothing is sent anywhere: you download the file and send it yourself."
)


def file_name(centre: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", centre).strip("_").lower() or "centre"
    return f"aggregates_{slug[:60]}.json"


NAME_KEY = "share_centre"
NAMES_KEY = "_share_names"  # selection (tuple of centres) -> the name the user typed for it
SELECTION_KEY = "_share_selection"


def follow_selection(selection: tuple[str, ...]) -> None:
    """The centre name follows the Centre filter: the name typed for this selection, else the
    single selected centre's own name (empty for several centres). A typed name is kept per
    selection, so switching the filter neither carries it to another centre nor loses it."""
    if st.session_state.get(SELECTION_KEY) != selection or NAME_KEY not in st.session_state:
        typed = st.session_state.get(NAMES_KEY, {})
        st.session_state[NAME_KEY] = typed.get(selection, selection[0] if len(selection) == 1 else "")
        st.session_state[SELECTION_KEY] = selection


def remember_name() -> None:
    typed = st.session_state.setdefault(NAMES_KEY, {})
    selection = st.session_state.get(SELECTION_KEY)
    if st.session_state[NAME_KEY].strip():
        typed[selection] = st.session_state[NAME_KEY]
    else:
        typed.pop(selection, None)


def endpoint_status(key: str, entry: dict, cohort: pd.DataFrame, min_cell: int) -> str:
    """'PFS: 14 patients', or why an endpoint is not shared (the count is said here only: it
    stays in this session, the file does not hold it)."""
    if not entry["withheld"]:
        return f"{key}: {entry['n']} patients"
    n = len(endpoint_data(cohort, key))
    return f"{key}: not shared ({n} patient{'s' if n != 1 else ''}, fewer than the minimum cell size {min_cell})"


def life_table_summary(doc: dict) -> pd.DataFrame:
    rows = []
    for key, ep in doc["endpoints"].items():
        if ep["withheld"] or not ep["n"]:
            rows.append({"Endpoint": key, "Grouping": "All patients", "Levels shared": "", "Rows (times)": 0,
                         "Patients": ep["n"] or 0, "Status": ep["withheld"] or "no patient with data"})
            continue
        rows.append({"Endpoint": key, "Grouping": "All patients", "Levels shared": "All patients",
                     "Rows (times)": len(ep["overall"]["time"]), "Patients": ep["n"], "Status": "shared"})
        for gkey, table in ep["by"].items():
            label = doc["groupings"][gkey]["label"] + (" ⚠ post-baseline" if doc["groupings"][gkey]["post_baseline"] else "")
            status = "not shared (no safe split)" if table["withheld"] else (
                f"{len(table['merged'])} small group(s) merged" if table["merged"] else
                f"{table['left_out']} patient(s) left out" if table["left_out"] else "shared")
            rows.append({"Endpoint": key, "Grouping": label, "Levels shared": ", ".join(table["levels"]),
                         "Rows (times)": len(table["time"]), "Patients": sum(table["events"]) + sum(table["censored"]),
                         "Status": status})
    return pd.DataFrame(rows)


def one_table(doc: dict, endpoint: str, grouping: str | None) -> pd.DataFrame:
    ep = doc["endpoints"][endpoint]
    if grouping is None:
        t = ep["overall"]
        return pd.DataFrame({"Group": "All patients", "Time (months)": t["time"], "Events": t["events"], "Censored": t["censored"]})
    t = ep["by"][grouping]
    return pd.DataFrame({"Group": [t["levels"][i] for i in t["level"]], "Time (months)": t["time"], "Events": t["events"],
                         "Censored": t["censored"]})


def response_counts(doc: dict, grouping: str) -> pd.DataFrame:
    entry = doc["response"]["by"][grouping]
    return pd.DataFrame([{"Group": level, **counts} for level, counts in entry["levels"].items()])


def table1_counts(doc: dict) -> pd.DataFrame:
    rows = []
    for entry in doc["table1"].values():
        if entry["kind"] == "categorical":
            rows += [{"Variable": entry["label"], "Level": lv, "Patients": n} for lv, n in entry["counts"].items()]
            rows.append({"Variable": entry["label"], "Level": "Missing", "Patients": entry["missing"]})
        elif entry["kind"] in ("flag", "flags"):
            rows += [{"Variable": entry["label"], "Level": f"{flag}: yes", "Patients": "not shared" if f["withheld"] else f["yes"]}
                     for flag, f in entry["flags"].items()]
        else:
            rows += [{"Variable": entry["label"], "Level": f"{'…' if lo is None else f'{lo:g}'} to {'…' if hi is None else f'<{hi:g}'}",
                      "Patients": n} for lo, hi, n in entry["bands"]]
            rows.append({"Variable": entry["label"], "Level": "Missing", "Patients": entry["missing"]})
    return pd.DataFrame(rows).astype({"Patients": str})


if pool_ui.pooled_mode():
    st.info("The pages show a pool of aggregate files. Sharing works on this session's patient file: leave pooled mode first.")
    st.button("Back to the patient file", key="share_leave_pool", on_click=pool_ui.set_active, args=(False,))
    st.stop()

result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    ds = ui.current_dataset()
    cohort = result.subset
    centres = sorted(cohort["center"].dropna().astype(str).unique()) if "center" in cohort else []
    follow_selection(tuple(centres))
    c1, c2, c3 = st.columns(3)
    centre = c1.text_input("Centre name (the coordinator sees it)", key=NAME_KEY, max_chars=100, on_change=remember_name,
                           help="Required. Use the same name every time this centre shares, so the coordinator can spot duplicates.")
    min_cell = int(c2.number_input("Minimum cell size (patients)", min_value=1, max_value=50, value=5, step=1, key="share_min_cell",
                                   help="No group with fewer patients leaves the centre: smaller groups are merged or left out."))
    precision = c3.selectbox("Times", list(TIME_PRECISIONS), key="share_precision", format_func=lambda k: TIME_PRECISIONS[k][0].upper() + TIME_PRECISIONS[k][1:],
                             help="Coarser times hide exact dates of events; the pooled results are then those of the coarsened times.")
    d1, d2 = st.columns(2)
    small = d1.radio("Groups below the minimum", list(SMALL_CELL_MODES), key="share_small", horizontal=True,
                     format_func=lambda k: SMALL_CELL_MODES[k][0].upper() + SMALL_CELL_MODES[k][1:])
    post = d2.checkbox("⚠ Also share post-baseline groupings (best response, adverse events)", key="share_post",
                       help="Not shared by default: comparisons by them suffer from guarantee-time bias.")
    if len(centres) == 1 and centre.strip() and " ".join(centre.split()) != " ".join(centres[0].split()):
        st.warning(ui.md(f"The centre name '{centre.strip()}' differs from the centre in the file ({centres[0]}): the "
                         "coordinator sees the name you typed. Check it names these patients' centre."))
    if len(centres) > 1:
        st.warning(ui.md(f"This selection holds {len(centres)} centres ({', '.join(centres)}). A file should hold one centre: "
                         "choose it with the Centre filter in the sidebar, or share the group of centres under one name on purpose."))
    if result.steps:
        st.warning(ui.md("Filters are in force: the file holds only the selected patients (" + "; ".join(result.describe()) + ")."))
    if post:
        st.warning("Post-baseline groupings will be in the file, marked as such. " + GUARANTEE_TIME_WARNING)
    if min_cell < 5:
        st.warning(f"A minimum cell size of {min_cell} lets groups of fewer than 5 patients leave the centre. Check with your "
                   "data-protection officer.")
    if precision is None:
        st.caption("Times at the file's own precision: where no two patients share a time, each curve's steps show "
                   "individual (anonymous) follow-up times. Rounding to 1 week or 1 month hides them.")
    if not centre.strip():
        st.info("Enter the centre's name to prepare the file.")
        st.stop()
    try:
        doc = ui.memo("share_doc", (centre, min_cell, precision, small, post), lambda: aggregate_document(
            cohort, centre=centre, min_cell=min_cell, time_precision=precision, include_post_baseline=post, small_cells=small,
            line_cut=ui.filter_state_from_widgets().line_cut))
    except SarcomaError as exc:
        ui.read_error(exc)
        st.stop()
    data = document_bytes(doc)

    st.subheader("What leaves the centre")
    endpoints = "; ".join(endpoint_status(k, e, cohort, min_cell) for k, e in doc["endpoints"].items())
    st.markdown(ui.md(f"{doc['centre']}: {doc['n_patients']} patients. {endpoints}."))
    st.caption(ui.md(
        f"No patient identifier, no date, no patient row: counts only, one grouping at a time. Minimum cell size {min_cell}; "
        f"times {TIME_PRECISIONS[precision]}; small groups {SMALL_CELL_MODES[small]}. File format {doc['schema_version']}, "
        f"written by version {doc['tool_version']} of this tool; {len(data) / 1024:.0f} KB."))
    if doc["disclosure"]:
        st.markdown("**Changed to protect patients (the reasons are written into the file):**")
        st.dataframe(pd.DataFrame(doc["disclosure"]).rename(columns={"section": "Where", "reason": "What and why"}), hide_index=True)
    else:
        st.success("No group is below the minimum cell size: nothing needed merging.")
    st.markdown("**Life tables**")
    st.dataframe(life_table_summary(doc), hide_index=True)
    with st.expander("One table exactly as shared"):
        e1, e2 = st.columns(2)
        endpoint = e1.selectbox("Endpoint", [k for k, e in doc["endpoints"].items() if e["overall"]], key="share_look_endpoint")
        if endpoint:
            options = [None, *[k for k, t in doc["endpoints"][endpoint]["by"].items() if not t["withheld"]]]
            grouping = e2.selectbox("Grouping", options, key="share_look_grouping",
                                    format_func=lambda k: "All patients" if k is None else doc["groupings"][k]["label"])
            st.dataframe(one_table(doc, endpoint, grouping), hide_index=True)
    if doc["response"] is not None:
        with st.expander("Best-response counts as shared"):
            grouping = st.selectbox("By", [k for k, e in doc["response"]["by"].items() if not e["withheld"]], key="share_look_response",
                                    format_func=lambda k: doc["groupings"][k]["label"])
            st.dataframe(pd.DataFrame([{"Group": "All patients", **doc["response"]["overall"]}]), hide_index=True)
            if grouping:
                st.dataframe(response_counts(doc, grouping), hide_index=True)
    with st.expander("Table 1 counts as shared"):
        st.dataframe(table1_counts(doc), hide_index=True)
    with st.expander("The file itself"):
        text = data.decode("utf-8")
        if len(text) > PREVIEW_CHARS:
            st.caption(f"The first {PREVIEW_CHARS:,} of {len(text):,} characters; the download holds the whole file.")
        st.code(text[:PREVIEW_CHARS], language="json")
    st.download_button("Download the aggregate file (.json)", data, file_name=file_name(doc["centre"]), mime="application/json",
                       type="primary", key="share_download", on_click="ignore")
