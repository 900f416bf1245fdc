"""Choices that the patient-row and the pooled pages offer alike, drawn by one function so the
two never drift apart (the same labels, defaults, help and URL parameters; keys per page)."""

from __future__ import annotations

import streamlit as st

from pages import _url as url
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.subgroups import ADJUSTMENTS


def ci_label(conf_type: str) -> str:
    return conf_type if conf_type != "spss" else "SPSS-compatible"


def subgroup_test_choices(key_prefix: str = "") -> tuple[str, int, str, str]:
    """The subgroup table's adjustment, minimum group size, test and median CI, in one row:
    keys `{key_prefix}sg_adjust`, `sg_min`, `sg_test`, `sg_ci`."""
    c1, c2, c3, c4 = st.columns(4)
    adjust = url.selectbox(c1, "Multiplicity adjustment", list(ADJUSTMENTS), key=f"{key_prefix}sg_adjust", param="adjust", default="holm",
                           format_func=ADJUSTMENTS.get, persist_state="session",
                           help="The table always shows each test's own p (as papers report it); this adds an adjusted column.")
    min_size = url.number(c2, "Minimum group size", key=f"{key_prefix}sg_min", param="sg_min", default=5, min_value=1, max_value=50,
                          persist_state="session")
    test = url.selectbox(c3, "Test", [t for t in TESTS if t != "trend"], key=f"{key_prefix}sg_test", param="sg_test", default="logrank",
                         format_func=TESTS.get, persist_state="session")
    conf_type = url.selectbox(c4, "Median CI", list(CONF_TYPES), key=f"{key_prefix}sg_ci", param="sg_ci", default="log-log",
                              format_func=ci_label, persist_state="session")
    return adjust, min_size, test, conf_type
