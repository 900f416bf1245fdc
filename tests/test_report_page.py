"""The Report page (Streamlit AppTest): it runs, shows the methods paragraph of the options in
use (taken from the other pages' widget state, changeable on the page) and offers the downloads."""

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sarcoma.report.exports import stop_static_export

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app():
    # Pages run inside app.py's navigation (sidebar filters, shared state), as in tests/test_app.py.
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    yield at
    # The page warms the figure-export browser up in the background; close it with the test.
    for t in [t for t in threading.enumerate() if t.name == "kaleido-warm-up"]:
        t.join(timeout=60)
    stop_static_export()


def test_page_follows_other_pages_choices_and_its_own_widgets(app):
    # What the Survival and Response pages would have left in the session.
    app.session_state["surv_group"] = "histotype"
    app.session_state["surv_test"] = "peto"
    app.session_state["resp_den"] = "all"
    app.switch_page("pages/report.py")
    app.run()
    assert not app.exception
    methods = app.code[0].value
    assert "compared by Histotype with the Peto-Peto test" in methods
    assert "over all treated patients" in methods
    assert "All 72 patients in the dataset" in methods

    labels = [b.label for b in app.get("download_button")]
    assert labels[:3] == ["Download the HTML report", "Download the PowerPoint deck", "Download every table (one XLSX workbook)"]
    assert labels.count("PNG") == labels.count("SVG") == labels.count("PDF") >= 4  # KM PFS/OS, forests, waterfall
    assert labels.count("CSV") == labels.count("XLSX") >= 6

    app.selectbox(key="rep_group").set_value("line_2")
    app.selectbox(key="rep_test").set_value("breslow")
    app.selectbox(key="rep_adjust").set_value("bh")
    app.run()
    assert not app.exception
    methods = app.code[0].value
    assert "compared by Line of therapy (1-2 vs ≥3) with the Breslow (generalised Wilcoxon) test" in methods
    assert "Benjamini-Hochberg" in methods and "Peto" not in methods
