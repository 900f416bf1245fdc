"""The endpoint registry: endpoint_data gives the analysis data, and every other patient has
a reason (rows in = analysed + excluded, per endpoint)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma.endpoints import (
    ENDPOINTS,
    UnknownEndpointError,
    endpoint_data,
    endpoint_exclusions,
    get_endpoint,
)
from sarcoma.ingest import load_cohort

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(SAMPLE)[0]


def test_pfs_and_os_are_the_stored_columns(cohort):
    for key, (tcol, ecol) in {"PFS": ("pfs_months", "pfs_event"), "OS": ("os_months", "os_event")}.items():
        data = endpoint_data(cohort, key)
        assert list(data.columns) == ["time", "event"]
        assert data.index.equals(cohort.index)  # the sample has every time and event
        np.testing.assert_array_equal(data["time"].to_numpy(), cohort[tcol].to_numpy(float))
        np.testing.assert_array_equal(data["event"].to_numpy(), cohort[ecol].to_numpy(int))
    assert int(endpoint_data(cohort, "OS")["event"].sum()) == 37  # seed paper: 37 (51.4%) had died


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(0, 60)), st.one_of(st.none(), st.sampled_from([0, 1]))), min_size=1, max_size=30))
def test_every_patient_is_analysed_or_has_a_reason(rows):
    cohort = pd.DataFrame({"pfs_months": [r[0] for r in rows], "pfs_event": [r[1] for r in rows], "os_months": 1.0, "os_event": 0},
                          index=[f"r{i}" for i in range(len(rows))])
    for key in ENDPOINTS:
        data = endpoint_data(cohort, key)
        reasons = endpoint_exclusions(cohort, key)
        analysed = set(data.index)
        excluded = set(reasons.dropna().index)
        assert analysed.isdisjoint(excluded)
        assert analysed | excluded == set(cohort.index)


def test_unknown_endpoint_says_which_exist():
    with pytest.raises(UnknownEndpointError, match="PFS, OS"):
        get_endpoint("DFS")


def test_every_entry_says_what_it_is():
    for key, e in ENDPOINTS.items():
        assert e.key == key and e.title and e.name and e.definition and e.eligibility and e.event_words
