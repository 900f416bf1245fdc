"""Shared test setup."""

import os
import runpy

import pytest
from hypothesis import settings
from streamlit.runtime.scriptrunner import script_runner

# CI (CI=true) draws the same hypothesis examples every run, so a red CI is a change's fault and
# can be reproduced; local runs keep drawing new examples, and every case they find is pinned as
# an @example or a plain test (tests/test_survival_properties.py, tests/test_federated.py).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="session")
def apptest_runs_app_py_like_the_server():
    """AppTest forgets between runs that app.py declares st.navigation, so with a `pages/`
    folder it runs a page file on its own (Streamlit's legacy multipage mode); the page then
    reruns through app.py (pages/_shared.require_app), and a button click is lost in that
    rerun. A running server makes that switch once, at its first request; make AppTest do the
    same by running app.py itself, which declares the navigation."""
    original = script_runner._mpa_v1
    script_runner._mpa_v1 = lambda main_script_path: runpy.run_path(main_script_path, run_name="__main__")
    yield
    script_runner._mpa_v1 = original
