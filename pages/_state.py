"""Widget keys and what the widgets hold: the filter state and the display mode of this run.

Sidebar widget keys double as URL query parameter names: keep them short and stable.
"""

from __future__ import annotations

import streamlit as st

from sarcoma.filters import FilterState

DATASET_KEY = "dataset"
FILTERED_KEY = "filtered"
F = {
    "histotypes": "histotype",
    "lines": "line",
    "regimen_classes": "regimen_class",
    "regimens": "regimen",
    "centers": "centre",
    "sexes": "sex",
    "primary_sites": "site",
    "stages": "stage",
}
LABELS = {
    "histotypes": "Histotype",
    "lines": "Line of therapy",
    "regimen_classes": "Regimen class",
    "regimens": "Regimen",
    "centers": "Centre",
    "sexes": "Sex",
    "primary_sites": "Primary site",
    "stages": "Disease stage",
}
PRESENT_KEY = "present"
LINE_CUT_KEY = "line_cut"
FOLD_KEY = "fold_rare"
AGE_KEY = "age"
# A string sentinel rather than None for "no grouping": a None option is not restored reliably
# after a page switch.
NO_GROUPING = "all"


def filter_state_from_widgets() -> FilterState:
    ss = st.session_state
    age = ss.get(AGE_KEY)
    return FilterState(
        **{attr: tuple(ss.get(key) or ()) for attr, key in F.items()},
        line_cut=int(ss.get(LINE_CUT_KEY) or 3),
        fold_rare_below=int(ss.get(FOLD_KEY) or 0),
        age_min=float(age[0]) if age else None,
        age_max=float(age[1]) if age else None,
    )


def presentation() -> bool:
    return bool(st.session_state.get(PRESENT_KEY))


def options_area():
    """Where a page draws its choices: in presentation mode a collapsed expander, so the result
    opens on the first screen; otherwise the page itself."""
    return st.expander("Options", expanded=False) if presentation() else st.container()
