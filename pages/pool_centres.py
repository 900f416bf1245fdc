"""Pool centres page (coordinator): several centres' aggregate files, optionally this session's
own patient file, pooled; then the Cohort, Survival, Subgroups and Response pages show the pool
(sarcoma.federated, pages/_pool.py)."""

import dataclasses

import streamlit as st

from pages import _pool as pool_ui
from pages import _shared as ui
from pages._render import render_view
from pages._state import FILTERED_KEY
from sarcoma.errors import SarcomaError
from sarcoma.views.pooled import pool_view

UPLOAD_ROUND = "_pool_upload_round"

ui.require_app()

st.header("Pool centres")
st.markdown(
    "Upload the **aggregate files** centres made on their *Share aggregates* page (one .json per centre). Their counts add "
    "up to exactly the Kaplan-Meier curves, log-rank tests (stratified by centre too) and response rates of the pooled "
    "patients, without any patient row leaving a centre. The files stay in this browser session."
)



def double_counted(rows, files) -> list[str]:
    """Centres of this session's patients that are already in the pool under the same name."""
    if "center" not in rows:
        return []
    pooled = {" ".join(f.centre.split()).casefold(): f for f in files}
    out = []
    for centre in sorted(rows["center"].dropna().astype(str).unique()):
        f = pooled.get(" ".join(centre.split()).casefold())
        if f is not None:
            n = int((rows["center"].astype(str) == centre).sum())
            out.append(f"{centre} is already in the pool ({f.name}): its {n} patient(s) in this session's file would be counted "
                       "twice. Leave it out with the sidebar's Centre filter before adding the file.")
    return out


held = pool_ui.session()
files = list(held.files.values())
# A fresh uploader after each upload: the files move to the list below (and stay there when you
# visit other pages), each with its own Remove button.
round_ = st.session_state.setdefault(UPLOAD_ROUND, 0)
uploads = st.file_uploader("Centres' aggregate files (.json)", type=["json"], accept_multiple_files=True, key=f"pool_upload_{round_}")
if uploads:
    held.errors = {}
    for up in uploads:
        try:
            new = pool_ui.read_upload(up.name, up.getvalue())
        except SarcomaError as exc:
            held.errors[up.name] = str(exc)
            continue
        if new.digest in held.files or any(f.digest == new.digest for f in files):
            held.errors[up.name] = f"{up.name} is already in the pool (the same file as {held.files.get(new.digest, new).name})."
        else:
            files.append(new)
    pool_ui.set_files(files, held.own)
    st.session_state[UPLOAD_ROUND] = round_ + 1
    st.rerun()
for message in held.errors.values():
    st.error(ui.md(message))

with st.expander("Add this session's own patient file as one more centre", expanded=held.own is not None):
    ds = ui.current_dataset()
    # The patients the sidebar filters select (the last selection when the pages show the pool):
    # with the filter on a centre whose file is already above, the whole file would count it twice.
    chosen = st.session_state.get(FILTERED_KEY)
    own_rows = chosen.subset if chosen is not None else ds.cohort
    which = ("the patients the sidebar filters select (" + "; ".join(chosen.describe()) + ")") if chosen is not None and chosen.steps \
        else "all its patients (no sidebar filter)"
    st.caption(ui.md(f"{ds.name}: it joins as {which}, n = {len(own_rows)}. Its counts are made here, in this session, and pooled "
                     "with the files above; nothing is written or sent. No disclosure control is needed for numbers that stay here."))
    for message in double_counted(own_rows, files):
        st.warning(ui.md(message))
    own_centre = st.text_input("Centre name for this file", value=held.own.centre if held.own else "", key="pool_own_centre", max_chars=100)
    o1, o2 = st.columns(2)
    o1.button("Add it to the pool", key="pool_own_add", disabled=not own_centre.strip() or len(own_rows) == 0, on_click=pool_ui.add_own,
              args=(own_rows, own_centre, ui.filter_state_from_widgets().line_cut))
    if held.own_error:
        ui.read_error(held.own_error)
    if held.own is not None:
        o2.button("Take it out of the pool", key="pool_own_remove", on_click=pool_ui.set_own, args=(None,))

if not files and held.own is None:
    st.info("No file in the pool yet.")
    st.stop()

st.subheader("Files")
for f in [*files, *([held.own] if held.own else [])]:
    c1, c2 = st.columns([5, 1])
    c1.markdown(ui.md(f"{f.name} — {f.centre}, {f.n_patients} patients"))
    if f is not held.own:
        c2.button("Remove", key=f"pool_remove_{f.digest[:16]}", on_click=pool_ui.remove_file, args=(f.digest,))
if held.pool_error:
    st.error(ui.md(held.pool_error))
    st.stop()

pooled = held.pooled
if held.active:
    st.success("The Cohort, Survival, Subgroups and Response pages show this pool (the centre filter is in the sidebar).")
    st.button("Back to the patient file", key="pool_leave", on_click=pool_ui.set_active, args=(False,))
else:
    st.button("Analyse the pool on the pages", type="primary", key="pool_activate", on_click=pool_ui.set_active, args=(True,))
view = pool_view(pooled)
render_view(dataclasses.replace(view, tables=view.tables[:1]), presentation=ui.presentation())
for block in view.tables[1:]:  # the centres' disclosure control: long, one row per change
    with st.expander(f"{block.title} ({len(block.table)} changes, in the centres' own words)"):
        st.dataframe(block.table, hide_index=True)
