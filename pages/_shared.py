"""What every page shares: the dataset in this session, the sidebar filters, small display helpers.

Uploaded data lives only in this browser session's `st.session_state` (never on disk, never in a
cache shared between sessions); computations on it are cached per session, keyed on a digest of
the uploaded bytes and the filter state.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from sarcoma.filters import (
    FilterResult,
    FilterState,
    apply_filters,
    filter_options,
    fit_age_range,
    fit_filters,
    with_derived_columns,
)
from sarcoma.formatting import markdown_escape as md
from sarcoma.groupings import available_groupings, level_order, make_groupings, why_not_grouped
from sarcoma.ingest import CohortReadError, load_adverse_events, load_cohort
from sarcoma.km_summary import GroupedSurvival, survival_by_group
from sarcoma.plots import PlotStyle, group_colors
from sarcoma.survival import format_median
from sarcoma.views import View, ViewContext

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"
SAMPLE_NAME = "Synthetic sample cohort (72 patients, seed study counts)"
DATASET_KEY = "dataset"
FILTERED_KEY = "filtered"

# Sidebar widget keys double as URL query parameter names: keep them short and stable.
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
PRESENT_KEY = "present"
NO_GROUPING = "all"
MEMO_KEY = "_memo"
DERIVED_KEY = "_dataset_derived"
VIEW_OPTIONS_KEY = "_view_options"
MEMO_SIZE = 64
# Plotly toolbar: keep download as PNG, drop everything that could send data elsewhere.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}
LINE_CUT_KEY = "line_cut"
FOLD_KEY = "fold_rare"
AGE_KEY = "age"


_app_run = threading.local()


def run_app(pages: list, before_page: Callable[[], None]) -> None:
    """app.py's body: declare the navigation, draw the shared sidebar, run the chosen page."""
    page = st.navigation(pages)
    before_page()
    if presentation():
        presentation_header()
    _app_run.active = True
    try:
        page.run()
    finally:
        _app_run.active = False


def require_app() -> None:
    """Called first by every page: make sure it runs inside app.py's navigation.

    With a `pages/` folder next to app.py, Streamlit runs a page file on its own (legacy
    multipage mode) when the very first request after the server starts is a deep link (a
    shared URL such as /survival?histotype=UPS), and AppTest does so on every page switch.
    Declaring the navigation switches Streamlit to app.py's pages; the rerun then goes through
    app.py, so the sidebar filters and the shared state are there.
    """
    if getattr(_app_run, "active", False):
        return
    st.navigation(app_pages(), position="hidden")
    st.rerun()


def app_pages() -> list:
    return [
        st.Page("pages/data.py", title="Data", default=True),
        st.Page("pages/cohort.py", title="Cohort"),
        st.Page("pages/survival.py", title="Survival"),
        st.Page("pages/subgroups.py", title="Subgroups"),
        st.Page("pages/response.py", title="Response"),
        st.Page("pages/safety.py", title="Safety & biomarkers"),
        st.Page("pages/models.py", title="Landmark & Cox"),
        st.Page("pages/report.py", title="Report"),
    ]


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


def current_dataset() -> Dataset:
    """The dataset of this session; the synthetic sample cohort until the user uploads a file."""
    ds = st.session_state.get(DATASET_KEY)
    if ds is None:
        ds = load_dataset(SAMPLE_NAME, _sample_bytes(), is_sample=True)
        st.session_state[DATASET_KEY] = ds
    return ds


def use_dataset(ds: Dataset) -> None:
    st.session_state[DATASET_KEY] = ds
    st.session_state.pop(FILTERED_KEY, None)


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


def sidebar_filters(ds: Dataset) -> FilterResult:
    """Draw the shared filters and store the filtered cohort for the pages of this run."""
    cohort = ds.cohort
    with st.sidebar:
        st.toggle(
            "Presentation mode", key=PRESENT_KEY, bind="query-params",
            help="Large fonts, thick lines and a title header for a projector; collapse the sidebar with « to present.",
        )
        st.markdown(f"**Data:** {md(ds.name)}")
        if ds.is_sample:
            st.caption("Synthetic data for demonstration; upload your centre's file on the Data page.")
        st.header("Filters")
        with st.expander("Grouping options"):
            st.number_input(
                "Line-of-therapy cut (lines at or above are grouped)", min_value=2, max_value=10,
                value=3, step=1, key=LINE_CUT_KEY, bind="query-params",
            )
            st.number_input(
                "Fold histotypes with fewer patients than this into 'Other' (0 = off)", min_value=0,
                max_value=50, value=0, step=1, key=FOLD_KEY, bind="query-params",
            )
        partial = FilterState(line_cut=int(st.session_state.get(LINE_CUT_KEY) or 3), fold_rare_below=int(st.session_state.get(FOLD_KEY) or 0))
        # Once per filter state: a rerun for a page widget does not recompute the subset.
        options = memo("filter_options", (partial,), lambda: filter_options(cohort, partial))
        age_bounds = None
        if "age" in cohort and cohort["age"].notna().any():
            age_bounds = (int(cohort["age"].min()), int(cohort["age"].max()) + 1)
        fit_to_data(options, age_bounds)
        for attr, key in F.items():
            if attr in options and len(options[attr]) > 1:
                st.multiselect(LABELS[attr], options[attr], key=key, bind="query-params", placeholder="All")
            elif key in st.session_state:
                st.session_state[key] = []
        if age_bounds is not None:
            lo, hi = age_bounds
            # The default only when the state holds none (fit_to_data may have set it).
            default = {} if AGE_KEY in st.session_state else {"value": (lo, hi)}
            st.slider("Age at ICI start (years)", lo, hi, key=AGE_KEY, bind="query-params", **default)
        else:
            st.session_state.pop(AGE_KEY, None)
        state = filter_state_from_widgets()
        # The full age range is no filter at all (patients without a recorded age stay in).
        if age_bounds is None or (state.age_min is not None and state.age_max is not None
                                  and state.age_min <= age_bounds[0] and state.age_max >= age_bounds[1]):
            state = replace(state, age_min=None, age_max=None)
        result = memo("apply_filters", (state,), lambda: apply_filters(cohort, state))
        st.markdown(f"### {md(result.headline())}")
        for line in result.describe():
            st.caption(md(line))
        show_filter_notices()
    st.session_state[FILTERED_KEY] = result
    return result


NOTICES_KEY = "filter_notices"
AGE_BOUNDS_KEY = "_age_bounds"


def fit_to_data(options: dict[str, list[str]], age_bounds: tuple[int, int] | None) -> None:
    """Make the filter widgets' values fit this data before they are drawn (another file, a
    shared link or a new line cut may hold values this data lacks); every change is noted."""
    ss = st.session_state
    state = filter_state_from_widgets()
    fit = fit_filters(state, options)
    for attr, key in F.items():
        if getattr(fit.state, attr) != getattr(state, attr):
            ss[key] = list(getattr(fit.state, attr))
    notices = list(fit.notices)
    if age_bounds is not None:
        chosen = tuple(ss[AGE_KEY]) if ss.get(AGE_KEY) else None
        new, notice = fit_age_range(chosen, age_bounds, ss.get(AGE_BOUNDS_KEY))
        if chosen is not None and new != chosen:
            ss[AGE_KEY] = tuple(int(v) for v in new)
        if notice:
            notices.append(notice)
        ss[AGE_BOUNDS_KEY] = age_bounds
    if notices:
        ss[NOTICES_KEY] = [*ss.get(NOTICES_KEY, []), *notices]


def show_filter_notices() -> None:
    """What changed in the filters and why; stays until the user has read it."""
    notices = st.session_state.get(NOTICES_KEY)
    if not notices:
        return
    for notice in notices:
        st.warning(md(notice))
    if st.button("Understood", key="dismiss_filter_notices"):
        st.session_state.pop(NOTICES_KEY, None)
        st.rerun()


def filtered() -> FilterResult:
    """The filtered cohort of this run (app.py draws the sidebar before every page)."""
    return st.session_state[FILTERED_KEY]


def enough_patients(result: FilterResult, minimum: int = 2) -> bool:
    """Show a message instead of an analysis when the selection is too small."""
    if result.n == 0:
        st.warning("No patients match the current filters. Remove a filter in the sidebar.")
        return False
    if result.n < minimum:
        st.warning(f"Only {result.n} patient matches the current filters: too few to analyse. Widen the filters in the sidebar.")
        return False
    return True


def read_error(exc: CohortReadError) -> None:
    st.error(md(exc))


def memo(name: str, key: tuple, compute):
    """Per-session memo of results keyed on the dataset digest and filter state.

    Lives in st.session_state, so it can never be shared with another session.
    """
    store = st.session_state.setdefault(MEMO_KEY, {})
    full = (name, current_dataset().digest, filter_state_from_widgets(), key)
    if full in store:
        value = store.pop(full)
    else:
        value = compute()
        while len(store) >= MEMO_SIZE:
            store.pop(next(iter(store)))
    store[full] = value  # most recently used last
    return value


def groupings_for(result: FilterResult) -> dict:
    """Grouping variables that split the filtered cohort (computed once per filter state)."""
    cut = filter_state_from_widgets().line_cut
    return memo("groupings", (cut,), lambda: available_groupings(result.subset, cut))


def dataset_derived() -> pd.DataFrame:
    """The whole dataset with the filters' derived columns (display histotype, line group): the
    colour universe of every view. Recomputed only when the dataset or those options change."""
    state = filter_state_from_widgets()
    ds = current_dataset()
    key = (ds.digest, state.line_cut, state.fold_rare_below)
    held = st.session_state.get(DERIVED_KEY)
    if held is None or held[0] != key:
        held = (key, with_derived_columns(ds.cohort, state))
        st.session_state[DERIVED_KEY] = held
    return held[1]


def view_context() -> ViewContext:
    """What every view needs besides the selection: the whole dataset, the cut, the style."""
    return ViewContext(dataset=dataset_derived(), line_cut=filter_state_from_widgets().line_cut, style=plot_style())


def view(name: str, build, cohort: pd.DataFrame, options) -> View:
    """A view of the current selection, computed once per (dataset, filters, options, mode).
    The options are kept for the Report page, which shows exactly what the pages show."""
    st.session_state.setdefault(VIEW_OPTIONS_KEY, {})[name] = options
    return memo(name, (options, presentation()), lambda: build(cohort, options, view_context()))


def view_options(name: str, default):
    """The options a page last used for its view in this session (the default if never shown)."""
    return st.session_state.get(VIEW_OPTIONS_KEY, {}).get(name, default)


def grouping_options() -> dict:
    """Every grouping that splits this dataset before filters: what the pages offer, so a
    filter that leaves one level never takes a user's choice away (see `grouping_problem`)."""
    state = filter_state_from_widgets()
    cohort = current_dataset().cohort
    return memo("grouping_options", (state.line_cut, state.fold_rare_below),
                lambda: available_groupings(with_derived_columns(cohort, state), state.line_cut))


def grouping_problem(result: FilterResult, key: str | None) -> str | None:
    """Why the chosen grouping cannot split the current selection (None when it can)."""
    if key is None:
        return None
    return why_not_grouped(result.subset, grouping_options()[key])


def not_shown(what: str, reason: str) -> None:
    """A choice that cannot apply to this selection stays chosen; the page says why."""
    st.info(md(f"{what}: not shown for this selection, because {reason}. It is shown again when the filters allow it."))


def cached_survival(result: FilterResult, endpoint: str, group: str | None, **options) -> GroupedSurvival:
    return memo("survival", (endpoint, group, tuple(sorted(options.items()))), lambda: survival_by_group(result.subset, endpoint, group, **options))


def colors_for(levels: list[str], grouping: str | None = None) -> dict[str, str]:
    """Colours assigned over all levels of the grouping in the whole cohort, so a group keeps
    its colour when filters remove other groups."""
    if grouping is None:
        return group_colors(levels)
    state = filter_state_from_widgets()

    def universe() -> list[str]:
        g = make_groupings(state.line_cut)[grouping]
        return level_order(g.make(current_dataset().cohort), g)

    full = memo("levels", (grouping, state.line_cut), universe)
    colors = group_colors(full + [lv for lv in levels if lv not in full])
    return {lv: colors[lv] for lv in levels}


def presentation() -> bool:
    return bool(st.session_state.get(PRESENT_KEY))


def plot_style() -> PlotStyle:
    return PlotStyle.presentation() if presentation() else PlotStyle()


def fmt_months(value: float, lower: float, upper: float) -> str:
    return format_median(value, lower, upper) + " months"


AE_KEY = "ae_table"


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


# Static CSS (no user data): larger text and widgets for a projector.
_PRESENTATION_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stDataFrame"] { font-size: 1.1rem; }
h1, h2, h3 { font-weight: 700; }
</style>
"""


def presentation_header() -> None:
    """A title-slide-like header: the cohort, n and the filters, readable from the back of a room."""
    st.html(_PRESENTATION_CSS)
    ds = current_dataset()
    result = st.session_state.get(FILTERED_KEY)
    st.title(md(ds.name), anchor=False)
    if result is not None:
        filters = "; ".join(result.describe()) or "no filters (whole cohort)"
        st.subheader(md(f"{result.headline()} — {filters}"), anchor=False)
