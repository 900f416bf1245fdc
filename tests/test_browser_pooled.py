"""Real-browser test of federated pooling (issue 15): two centres export their aggregate files
in one browser session (each uploads its own patient file and downloads the counts from 'Share
aggregates'), a coordinator pools them in another session ('Pool centres') and the Cohort,
Survival, Subgroups and Response pages draw the pool. Expected numbers come from the core
(sarcoma.federated on the downloaded bytes, and the patient rows of both files). Screenshots go
to test-output/browser/pooled_*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, expect

from sarcoma.federated import pool, read_aggregates
from sarcoma.formatting import WORD_JOINER
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p, survival_by_group
from tests.test_browser import (  # noqa: F401 - app and chromium are fixtures
    SAMPLE,
    App,
    app,
    choose,
    chromium,
    download,
    expect_headline,
    go_to,
    main,
    new_page,
    open_url,
    pick,
    settle,
    shot,
    sidebar,
    upload,
)

pytestmark = pytest.mark.browser

NORTH = ("Centre A (synthetic)", "Centre B (synthetic)")
SOUTH = ("Centre C (synthetic)", "Centre D (synthetic)", "Centre E (synthetic)")
LINE_GROUPING = "Line of therapy (1-2 vs ≥3)"


def centre_csv(path: Path, centres: tuple[str, ...], name: str) -> Path:
    """A centre's own patient file: the sample rows of some synthetic centres, renamed, exported
    as a European spreadsheet would (semicolons, decimal commas)."""
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    raw = raw[raw["center"].isin(centres)].copy()
    raw["center"] = name
    for col in ("age", "pfs_months", "os_months", "best_pct_change", "tmb"):
        raw[col] = raw[col].str.replace(".", ",", regex=False)
    raw.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="module")
def centre_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pooled_centres")
    return {"Klinikum Nord": centre_csv(d / "klinikum_nord.csv", NORTH, "Klinikum Nord"),
            "Hôpital Sud": centre_csv(d / "hopital_sud.csv", SOUTH, "Hôpital Sud")}


def test_two_centres_share_and_a_coordinator_pools_them(chromium: Browser, app: App, centre_files: dict[str, Path], tmp_path: Path):  # noqa: F811
    rows = pd.concat([load_cohort(p)[0] for p in centre_files.values()], ignore_index=True)
    assert len(rows) == 48

    # ---- Centre side: one session, two centres' files, two downloads.
    page = new_page(chromium)
    exported: dict[str, bytes] = {}
    try:
        open_url(page, app, app.url)
        for i, (centre, path) in enumerate(centre_files.items()):
            if i:
                go_to(page, app, "Data")
            upload(page, path)
            n = len(load_cohort(path)[0])
            expect_headline(page, f"n = {n} of {n} patients")
            go_to(page, app, "Share aggregates")
            expect(main(page).get_by_role("textbox", name="Centre name (the coordinator sees it)")).to_have_value(centre)
            # (markdown_escape puts an invisible word joiner after each ':')
            expect(main(page).get_by_text(re.compile(rf"^{centre}:\W*{n} patients\."))).to_be_visible()
            expect(main(page).get_by_text("Changed to protect patients", exact=False)).to_be_visible()
            shot(page, f"pooled_01_share_{i + 1}")
            exported[centre] = download(page, "Download the aggregate file (.json)", tmp_path / f"centre_{i + 1}.json")
    finally:
        page.context.close()
    text = b"".join(exported.values()).decode("utf-8")
    assert "SYN-" not in text and not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no patient ID, no date
    pooled = pool([read_aggregates(data, f"centre_{i + 1}.json") for i, data in enumerate(exported.values())])
    assert pooled.centres == ["Klinikum Nord", "Hôpital Sud"] and pooled.n_patients == 48
    # The overall curves are those of the two files' patient rows together.
    assert pooled.kaplan_meier("PFS").median_text() == survival_by_group(rows, "PFS").curves["All patients"].median_text()
    test = pooled.logrank("PFS", "line_2", strata="centre")
    logrank = f"Log-rank: χ² = {test.statistic:.2f}, df = {test.df}, {format_p(test.p_value)} (stratified by centre)"

    # ---- Coordinator: another session pools the two files.
    page = new_page(chromium)
    try:
        open_url(page, app, app.url)
        go_to(page, app, "Pool centres")
        paths = [tmp_path / "centre_1.json", tmp_path / "centre_2.json"]
        main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(paths)
        settle(page, app)
        expect(main(page).get_by_text("centre_1.json — Klinikum Nord, 25 patients", exact=True)).to_be_visible()
        expect(main(page).get_by_text("centre_2.json — Hôpital Sud, 23 patients", exact=True)).to_be_visible()
        main(page).get_by_role("button", name="Analyse the pool on the pages").click()
        expect_headline(page, "n = 48 of 48 patients")
        settle(page, app)
        expect(sidebar(page).get_by_text("pool of 2 centres (aggregate files, no patient rows)", exact=False)).to_be_visible()
        shot(page, "pooled_02_pool_centres")

        go_to(page, app, "Survival")
        choose(page, "Compare by", LINE_GROUPING)
        # markdown_escape puts an invisible word joiner after ':' (it stops autolinks): read past it.
        line = main(page).locator("p").filter(has_text=re.compile(r"^Log-rank:\W*χ²"))
        expect(line).to_have_count(1)
        assert line.inner_text().replace(WORD_JOINER, "") == logrank
        expect(main(page).get_by_role("heading", name="Between centres")).to_be_visible()
        settle(page, app)
        shot(page, "pooled_03_survival_by_line")

        for i, title in enumerate(("Subgroups", "Response", "Cohort"), start=4):
            go_to(page, app, title)
            expect(main(page).get_by_text(re.compile(r"^Pooled data:\W*2 centre\(s\), 48 patients"))).to_be_visible()
            shot(page, f"pooled_{i:02d}_{title.lower()}")
        go_to(page, app, "Landmark & Cox")
        expect(main(page).get_by_text("This page needs patient rows", exact=False)).to_be_visible()
        shot(page, "pooled_07_landmark_needs_rows")

        # The centre filter is a stratum: one centre's curves; the grouping chosen before the
        # visit to the other pages is still chosen (a choice never changes silently).
        go_to(page, app, "Survival")
        pick(page, "Centre", ["Hôpital Sud"])
        expect_headline(page, "n = 23 of 48 patients")
        south = pooled.select(["Hôpital Sud"]).kaplan_meier("PFS", "line_2", "1-2")
        settle(page, app)
        shot(page, "pooled_08_survival_one_centre")
        expect(main(page).get_by_text(f"1-2 (n = {south.n};", exact=False).first).to_be_attached()
    finally:
        page.context.close()
