"""The dataset of this session: the bundled sample until the user uploads a file, and an
optional separate adverse-event table.

Uploaded data lives only in this browser session's `st.session_state` (never on disk, never in
a cache shared between sessions); reading is cached per session, keyed on a digest of the bytes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from pages._state import DATASET_KEY, FILTERED_KEY
from sarcoma.ingest import load_adverse_events, load_cohort

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"
SAMPLE_NAME = "Synthetic sample cohort (72 patients, seed study counts)"  # survival: see seed_comparison
AE_KEY = "ae_table"


@dataclass(frozen=True)
class Dataset:
    name: str
    digest: str
    cohort: pd.DataFrame
    report: object
    is_sample: bool


@st.cache_data(show_spinner=False, max_entries=1)
def _sample_bytes() -> bytes:
    # The bundled sample is synthetic and the same for everyone: a global cache is fine here.
    return SAMPLE_PATH.read_bytes()


@st.cache_data(show_spinner=False, scope="session", max_entries=4)
def _load(digest: str, name: str, _data: bytes, column_map: tuple[tuple[str, str], ...]) -> tuple[pd.DataFrame, object]:
    # Keyed on the digest (the bytes themselves are not hashed); session-scoped so an upload is
    # never visible to another session.
    buffer = io.BytesIO(_data)
    buffer.name = name
    return load_cohort(buffer, column_map=dict(column_map) or None)


def load_dataset(name: str, data: bytes, *, is_sample: bool = False, column_map: dict[str, str] | None = None) -> Dataset:
    """Read a file into a Dataset; raises CohortReadError with a plain-language message."""
    mapping = tuple(sorted((column_map or {}).items()))
    digest = hashlib.sha256(data + repr(mapping).encode()).hexdigest()
    cohort, report = _load(digest, name, data, mapping)
    return Dataset(name=name, digest=digest, cohort=cohort, report=report, is_sample=is_sample)


def sample_dataset() -> Dataset:
    return load_dataset(SAMPLE_NAME, _sample_bytes(), is_sample=True)


def current_dataset() -> Dataset:
    """The dataset of this session; the synthetic sample cohort until the user uploads a file."""
    ds = st.session_state.get(DATASET_KEY)
    if ds is None:
        ds = sample_dataset()
        st.session_state[DATASET_KEY] = ds
    return ds


def use_dataset(ds: Dataset) -> None:
    st.session_state[DATASET_KEY] = ds
    st.session_state.pop(FILTERED_KEY, None)


def attach_adverse_events(ds: Dataset, name: str, data: bytes):
    """Read a separate adverse-event file for this dataset's patients; kept in this session only.

    Returns the AE data-quality report; raises CohortReadError with a plain-language message."""
    buffer = io.BytesIO(data)
    buffer.name = name
    events, report = load_adverse_events(buffer, patient_ids=ds.cohort["patient_id"])
    st.session_state[AE_KEY] = (ds.digest, name, events, report)
    return report


def uploaded_adverse_events(ds: Dataset):
    """(file name, events, report) of an AE file uploaded for this dataset, or None."""
    held = st.session_state.get(AE_KEY)
    if held is None or held[0] != ds.digest:
        return None
    return held[1:]


def adverse_events_for(ds: Dataset, cohort: pd.DataFrame) -> pd.DataFrame | None:
    """The adverse-event table of the dataset (workbook sheet or separate upload), restricted to
    the patients in `cohort`."""
    uploaded = uploaded_adverse_events(ds)
    events = uploaded[1] if uploaded else getattr(ds.report, "adverse_events", None)
    if events is None:
        return None
    return events[events["patient_id"].astype(str).isin(cohort["patient_id"].astype(str))]
