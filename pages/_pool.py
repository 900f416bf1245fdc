"""Pooled mode: this session analyses a pool of centres' aggregate files instead of a patient
file (sarcoma.federated). The pages check `pooled_mode()` first and, when it is on, draw the
pooled version of their View through the functions here, so each page stays one call.

The pool lives in this session's `st.session_state` only (files read from uploads, never
written anywhere). This module is light (the app's first page imports it); the pooled pages'
bodies are in `_pool_pages`, imported when a pooled page is drawn.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from pages._state import PRESENT_KEY
from sarcoma.formatting import markdown_escape as md

if TYPE_CHECKING:  # the federated core imports scipy: loaded only once a pool is used
    from sarcoma.federated import AggregateFile, Pooled

POOL_KEY = "_pool_session"
CENTRE_FILTER_KEY = "pool_centre"
FILTERS_NOTE = ("Only the centre filter works on pooled data (each file is a centre): the other filters would cross "
                "groupings, which the aggregate files never do.")


@dataclass
class PoolSession:
    """The coordinator's files (read and checked) and whether the pages show the pool."""

    files: dict[str, AggregateFile] = field(default_factory=dict)  # digest -> file
    errors: dict[str, str] = field(default_factory=dict)  # upload (name, size) -> message
    own: AggregateFile | None = None  # this session's patient file, aggregated on the fly
    active: bool = False
    pooled: Pooled | None = None
    pool_error: str | None = None
    own_error: str | None = None


def session() -> PoolSession:
    held = st.session_state.get(POOL_KEY)
    if held is None:
        held = PoolSession()
        st.session_state[POOL_KEY] = held
    return held


def pooled_mode() -> bool:
    """True when the pages show the pool of aggregate files (the coordinator chose it)."""
    held = st.session_state.get(POOL_KEY)
    return bool(held is not None and held.active and held.pooled is not None)


def set_files(files: list[AggregateFile], own: AggregateFile | None) -> None:
    """The files in the pool (and this session's own file); pooled at once, so a mismatch is
    said on the Pool centres page."""
    from sarcoma.federated import PoolError, pool

    s = session()
    s.files = {f.digest: f for f in files}
    s.own = own
    chosen = [*files, *([own] if own is not None else [])]
    try:
        s.pooled, s.pool_error = (pool(chosen), None) if chosen else (None, None)
    except PoolError as exc:
        s.pooled, s.pool_error = None, str(exc)
    if s.pooled is None:
        s.active = False


# Button callbacks: they run before the next script run, so a page rerun (require_app) cannot
# lose the click.
def set_active(active: bool) -> None:
    session().active = bool(active) and session().pooled is not None


def remove_file(digest: str) -> None:
    s = session()
    set_files([f for d, f in s.files.items() if d != digest], s.own)


def set_own(own: AggregateFile | None) -> None:
    s = session()
    set_files(list(s.files.values()), own)


def add_own(cohort, centre: str, line_cut: int) -> None:
    from sarcoma.errors import SarcomaError

    s = session()
    try:
        own = own_file(cohort, centre, line_cut)
    except SarcomaError as exc:
        s.own_error = str(exc)
        return
    s.own_error = None
    set_own(own)


def read_upload(name: str, data: bytes) -> AggregateFile:
    """Read one uploaded file (once per content in this session)."""
    from sarcoma.federated import read_aggregates

    digest = hashlib.sha256(data).hexdigest()
    cache = st.session_state.setdefault("_pool_reads", {})
    if digest not in cache:
        cache[digest] = read_aggregates(data, name)
    return cache[digest]


def own_file(cohort, centre: str, line_cut: int) -> AggregateFile:
    """This session's patient file as one more centre: counted here, never written anywhere;
    no disclosure control is needed for numbers that stay in this session (minimum cell 1)."""
    from sarcoma.federated import aggregate_document, document_bytes, read_aggregates

    data = document_bytes(aggregate_document(cohort, centre=centre, min_cell=1, line_cut=line_cut))
    return dataclasses.replace(read_aggregates(data, f"{centre} (this session's patient file)"), in_session=True)


def selected() -> Pooled:
    """The pool of the centres chosen in the sidebar (all when none is chosen)."""
    pooled = session().pooled
    chosen = [c for c in st.session_state.get(CENTRE_FILTER_KEY) or [] if c in pooled.centres]
    return pooled.select(chosen) if chosen else pooled


def header_line() -> str:
    pooled = selected()
    whole = session().pooled
    return f"**Pool of {len(whole.files)} centres (aggregate files)** · n = {pooled.n_patients} of {whole.n_patients} patients"


# --------------------------------------------------------------------------- sidebar


def pooled_sidebar() -> None:
    """The sidebar in pooled mode: the pool, n of N, and the centre filter (a centre is a
    stratum, so filtering centres is exact); other filters would need patient rows."""
    pooled = session().pooled
    with st.sidebar:
        st.toggle("Presentation mode", key=PRESENT_KEY, bind="query-params",
                  help="Large fonts, thick lines and a compact header for a projector.")
        st.markdown(f"**Data:** pool of {len(pooled.files)} centres (aggregate files, no patient rows)")
        chosen = [c for c in st.session_state.get(CENTRE_FILTER_KEY) or [] if c in pooled.centres]
        n = pooled.select(chosen).n_patients if chosen else pooled.n_patients
        st.markdown(f"### n = {n} of {pooled.n_patients} patients")
        if chosen:
            st.caption(md(f"Centre: {', '.join(chosen)}"))
        st.header("Filters")
        if CENTRE_FILTER_KEY in st.session_state:
            st.session_state[CENTRE_FILTER_KEY] = chosen  # centres no longer in the pool leave the filter
        st.multiselect("Centre", pooled.centres, key=CENTRE_FILTER_KEY, placeholder="All")
        st.caption(FILTERS_NOTE)
        st.button("Back to the patient file", key="pool_leave_sidebar", on_click=set_active, args=(False,),
                  help="The pages show this session's patient file again; the pool stays on the Pool centres page.")
