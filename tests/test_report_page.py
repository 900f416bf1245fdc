"""The Report page (Streamlit AppTest): it runs, shows the methods paragraph of the options the
other pages last used and offers the downloads and the deck's slide picker."""

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


def test_page_shows_what_the_other_pages_show(app):
    """The report is built from the options each page last used (no widget keys copied)."""
    app.switch_page("pages/survival.py")
    app.run()
    app.selectbox(key="surv_group").set_value("histotype").run()
    app.selectbox(key="surv_test").set_value("peto").run()
    app.switch_page("pages/response.py")
    app.run()
    app.radio(key="resp_den").set_value("all").run()
    app.switch_page("pages/report.py")
    app.run()
    assert not app.exception
    methods = app.code[0].value
    assert "compared by Histotype with the Peto-Peto (SAS/K&M) test" in methods or "compared by Histotype with the Peto-Peto test" in methods
    assert "over all treated patients" in methods
    assert "All 72 patients in the dataset" in methods

    labels = [b.label for b in app.get("download_button")]
    assert labels[:3] == ["Download the PowerPoint deck", "Download the HTML report (everything)", "Download every table (one XLSX workbook)"]
    assert labels.count("PNG") == labels.count("SVG") == labels.count("PDF") >= 4  # KM PFS/OS, forests, waterfall
    assert labels.count("CSV") == labels.count("XLSX") >= 6
    # The deck's slides, in order, are a choice of their own (and go into the URL).
    assert app.multiselect(key="rep_deck").value[:3] == ["table1", "km-pfs", "km-os"]
    app.multiselect(key="rep_deck").set_value(["km-os", "table1"]).run()
    assert app.query_params["deck"] == "km-os,table1"
