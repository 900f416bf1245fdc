"""AppTest: response dynamics in the app. The Response page shows the swimmer view the core
computes (sample: one lane per patient, the lines and table of sarcoma.views.swimmer), its
colour choice goes into the URL and back, a file without treatment dates gets the view's
explanation instead of an error, and the Survival and Subgroups pages offer DoR and TTF."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sarcoma.filters import FilterState, apply_filters
from sarcoma.ingest import load_cohort
from sarcoma.views import ViewContext
from sarcoma.views.swimmer import WHAT_IS_MISSING, SwimmerOptions, swimmer_view
from tests.rendered import rendered

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
DATES = ["treatment_start", "response_date", "progression_date", "death_date", "last_follow_up", "treatment_end"]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(SAMPLE)[0]


def start(page: str | None = None, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        for k, v in (params or {}).items():
            at.query_params[k] = v
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def swimmer_chart(at: AppTest) -> dict:
    return next(c for c in charts(at) if any(t.get("name") == "Still on treatment" for t in c["data"]))


def values(array) -> np.ndarray:
    """A data array of the figure JSON: a list, or Plotly's typed array {dtype, bdata (base64)}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array)


def bar_counts(chart: dict) -> dict[str, int]:
    return {t["name"]: len(values(t["x"])) for t in chart["data"] if t["type"] == "bar"}


def test_response_page_shows_the_swimmer_view_of_the_core(cohort):
    at = start("pages/response.py")
    assert "Response dynamics" in [h.value for h in at.subheader]
    assert at.radio(key="swim_color").value == "best_response"
    view = swimmer_view(cohort, SwimmerOptions(), ViewContext(dataset=cohort))
    shown = [rendered(m.value) for m in at.markdown]
    for line in view.lines:  # result lines, bold, as the core writes them
        assert f"**{line}**" in shown
    chart = swimmer_chart(at)
    assert bar_counts(chart) == {"CR": 3, "PR": 19, "SD": 19, "PD": 23, "NE": 8}  # seed's Table 4, one lane each
    table = next(d.value for d in at.dataframe if "Applies to" in d.value.columns)
    pd.testing.assert_frame_equal(table.reset_index(drop=True), view.tables[0].table)
    assert "swim_color" not in at.query_params  # the default stays out of the URL


def test_swimmer_colour_goes_into_the_url_and_back():
    at = start("pages/response.py")
    at.radio(key="swim_color").set_value("regimen_class").run()
    assert not at.exception
    assert at.query_params["swim_color"] == "regimen_class"
    assert bar_counts(swimmer_chart(at)) == {"ICI monotherapy": 43, "Double ICI": 5, "ICI + TKI": 21, "ICI + chemotherapy": 3}
    # A shared link opens with the same colouring.
    shared = start("pages/response.py", {"swim_color": "regimen_class"})
    assert shared.radio(key="swim_color").value == "regimen_class"


def test_swimmer_follows_the_sidebar_filters(cohort):
    at = start("pages/response.py")
    at.sidebar.multiselect(key="histotype").set_value(["UPS", "LMS"]).run()
    assert not at.exception
    n = apply_filters(cohort, FilterState(histotypes=("UPS", "LMS"))).n
    assert sum(bar_counts(swimmer_chart(at)).values()) == n < 72


def test_file_without_treatment_dates_explains_what_is_missing():
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).drop(columns=DATES)
    buf = io.StringIO()
    raw.to_csv(buf, index=False)
    at = start()
    at.file_uploader(key="upload").set_value(("no_dates.csv", buf.getvalue().encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/response.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [rendered(w.value) for w in at.warning]
    for column in ("treatment_start", "treatment_end", "response_date"):
        assert WHAT_IS_MISSING[column] in warnings, column
    # The rest of the page is there: the response table and the waterfall, no swimmer plot.
    assert not any(t.get("name") == "Still on treatment" for c in charts(at) for t in c["data"])
    assert len(charts(at)) == 1  # the waterfall


def test_survival_page_offers_dor_and_states_whom_it_counts():
    at = start("pages/survival.py", {"endpoint": "DoR"})
    assert at.radio(key="surv_endpoint").value == "DoR"
    assert set(at.radio(key="surv_endpoint").options) == {"PFS", "OS", "DoR", "TTF"}
    captions = [rendered(c.value) for c in at.caption]
    assert "Analysed 22 of 72 patients in the selection (responders (CR/PR) with a response date)." in captions
    assert "Not in the curves: 50 patient(s) — not a responder (best response not CR or PR)." in captions


def test_subgroups_page_adds_dor_to_the_table_on_request():
    at = start("pages/subgroups.py", {"endpoints": "PFS,OS,DoR", "vars": "histotype,line_2"})
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Endpoint"].replace("", pd.NA).dropna()) == {"PFS", "OS", "DoR"}
    captions = [rendered(c.value) for c in at.caption]
    assert any(c.startswith("Patients analysed: PFS 72 of 72") and "DoR 22 of 72 (responders (CR/PR) with a response date)" in c
               for c in captions)
