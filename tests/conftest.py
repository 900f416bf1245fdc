"""Shared test setup."""

import runpy

import pytest
from streamlit.runtime.scriptrunner import script_runner


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
