"""The server configuration keeps patient data on the machine (.streamlit/config.toml)."""

import tomllib
from pathlib import Path

from sarcoma.ingest_read import MAX_UPLOAD_BYTES

CONFIG = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())


def test_server_binds_to_loopback_only():
    # Another machine on the network cannot open the app or fetch a session's report downloads.
    assert CONFIG["server"]["address"] == "127.0.0.1"


def test_nothing_is_reported_to_streamlit_and_no_address_lookup_at_start():
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["browser"]["serverAddress"] == "localhost"


def test_error_details_never_reach_the_page_and_uploads_are_capped():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["server"]["maxUploadSize"] * 1024 * 1024 == MAX_UPLOAD_BYTES
