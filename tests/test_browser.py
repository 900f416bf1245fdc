"""Real-browser end-to-end test: Playwright drives Debian's chromium against `streamlit run app.py`.

What a clinician does, checked in a real browser: upload a European-style CSV export, narrow the
histotype filter, watch the patient count and the log-rank p-value change, move between pages
with the filter kept, share the URL, and never see another browser session's upload. Expected
numbers come from the analysis core (and, for the log-rank p, from lifelines directly) on the
very file that was uploaded. Screenshots of every step go to test-output/browser/.

The tumour-board outputs too: presentation mode switched on in the sidebar (URL, header, the
figure's font size, every page screenshotted), and the HTML report and PowerPoint deck downloaded
from the Report page and read back (html.parser, python-pptx) against the core's numbers.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from lifelines.statistics import logrank_test
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from bench._browser import (  # one definition for tests and benchmarks
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    SERVER_START_S,
    VIEWPORT,
)
from sarcoma.filters import FilterState, apply_filters
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.plots import PlotStyle
from sarcoma.report import ReportOptions, collect_report
from sarcoma.views.survival import SurvivalOptions

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
OUT = ROOT / "test-output" / "browser"
# Generous: the CI machine has two cores shared with other jobs.
TIMEOUT_MS = 90_000
SAMPLE_NAME = "Synthetic sample cohort (72 patients, seed study counts)"
LINE_GROUPING = "Line of therapy (1-2 vs ≥3)"
COHORT_UPLOADER = "Upload your centre's cohort"
OPEN_LIST_TRIES = 3
PAGES = [
    "Data", "Cohort", "Survival", "Subgroups", "Response", "Safety & biomarkers", "Landmark & Cox",
    "Report", "Share aggregates", "Pool centres",
]


# ---------------------------------------------------------------- server and browser fixtures


@dataclass(frozen=True)
class App:
    url: str
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server, then whatever it started (the Report page warms up kaleido's chromium).

    SIGTERM to Streamlit alone first, so it can shut its children down cleanly; then the whole
    process group (it runs in its own session), so nothing outlives the test module.
    """
    try:
        proc.terminate()
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # nothing left in the group
        time.sleep(2)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    """`streamlit run app.py` on a free port, healthy before the first test, ended after the last."""
    OUT.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = OUT / "streamlit-server.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    served = App(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`streamlit run app.py` exited with code {proc.returncode} before it was "
                    f"healthy:\n{served.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{served.url}/_stcore/health", timeout=5) as resp:
                    if resp.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`streamlit run app.py` was not healthy after {SERVER_START_S} s:\n"
                    f"{served.log_tail()}"
                )
            time.sleep(0.5)
        yield served
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        # Fail, never skip: a CI run without the browser must not look green.
        pytest.fail(
            f"Debian's chromium is missing ({CHROMIUM} not found). Install it with "
            "`apt-get install chromium` (or `make browser-deps`) and run the tests again."
        )
    expect.set_options(timeout=TIMEOUT_MS)
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


def new_page(browser: Browser) -> Page:
    """A page in a fresh browser context (own cookies and storage, so its own Streamlit session)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


# ---------------------------------------------------------------- test data


def european_csv(path: Path, rows: slice, id_prefix: str, encoding: str) -> Path:
    """A recognisable slice of the sample cohort as a European spreadsheet would export it:
    `;` separators, decimal commas, relabelled patient IDs and a centre name with an umlaut."""
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).iloc[rows].copy()
    raw["patient_id"] = [f"{id_prefix}-{i:03d}" for i in range(1, len(raw) + 1)]
    centre = raw["center"].str.replace(" (synthetic)", "", regex=False)
    raw["center"] = centre.str.replace("Centre ", "Zentrum ") + " Göttingen"
    for col in ("age", "pfs_months", "os_months", "best_pct_change", "pdl1", "tmb"):
        raw[col] = raw[col].str.replace(".", ",", regex=False)
    raw.to_csv(path, sep=";", index=False, encoding=encoding)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("browser_uploads")
    return {
        "euro": european_csv(d / "euro_centre_export.csv", slice(0, 50), "EURO", "cp1252"),
        "alpha": european_csv(d / "alpha_centre.csv", slice(0, 30), "ALPHA", "utf-8-sig"),
        "bravo": european_csv(d / "bravo_centre.csv", slice(40, 60), "BRAVO", "cp1252"),
    }


def read(path: Path) -> pd.DataFrame:
    cohort, _ = load_cohort(path)
    return cohort


def page_logrank_line(cohort: pd.DataFrame) -> str:
    """The first line of the test label the Survival page prints for the line-of-therapy grouping.

    Options are the Survival page's defaults: PFS, log-rank, unstratified, minimum group size 5.
    """
    res = survival_by_group(
        cohort, "PFS", "line_2", test="logrank", stratify_by_center=False, min_group_size=5
    )
    label = res.test_label()
    assert label is not None and res.test is not None
    # Independent oracle for the p-value: lifelines' log-rank test on lines 1-2 vs >= 3.
    late = pd.to_numeric(cohort["line_of_therapy"]) >= 3
    t, e = cohort["pfs_months"].astype(float), cohort["pfs_event"].astype(float)
    oracle = logrank_test(t[~late], t[late], e[~late], e[late])
    assert format_p(res.test.p_value) == format_p(oracle.p_value)
    return label.splitlines()[0]


# ---------------------------------------------------------------- page helpers


def settle(page: Page, app: App) -> None:
    """Wait until the script run has finished and nothing is loading; fail on any exception box."""
    expect(page.locator(IDLE)).to_have_count(1)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    errors = page.get_by_test_id("stException")
    if errors.count():
        pytest.fail(
            f"Streamlit shows an exception on {page.url}:\n{errors.all_inner_texts()}\n"
            f"server log:\n{app.log_tail()}"
        )


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def markdown(page: Page, text: str) -> Locator:
    """Markdown in the main area whose text is exactly `text` (e.g. the bold dataset name)."""
    return main(page).get_by_test_id("stMarkdownContainer").get_by_text(text, exact=True)


def headline(page: Page) -> Locator:
    return sidebar(page).get_by_role("heading", name=re.compile(r"^n = \d+ of \d+ patients"))


def multiselect(page: Page, label: str) -> Locator:
    field = page.get_by_role("combobox", name=label)
    return sidebar(page).get_by_test_id("stMultiSelect").filter(has=field)


def chips(page: Page, label: str) -> Locator:
    """The selected values (chips) of a sidebar multiselect."""
    return multiselect(page, label).locator("[data-tag]")


def open_list(page: Page, combo: Locator) -> None:
    # Keyboard, not a click: right after another list was closed, a click on the field (or its
    # chevron) only focuses it; ArrowDown on the focused field opens the list. A rerun still in
    # flight (the previous choice) can close it again at once, so wait for the run, then retry.
    expect(page.locator(IDLE)).to_have_count(1)
    for _ in range(OPEN_LIST_TRIES - 1):
        combo.focus()
        page.keyboard.press("ArrowDown")
        try:
            expect(combo).to_have_attribute("aria-expanded", "true", timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    combo.focus()
    page.keyboard.press("ArrowDown")
    expect(combo).to_have_attribute("aria-expanded", "true")


def pick(page: Page, label: str, options: list[str]) -> None:
    """Open a sidebar multiselect and choose options one by one, as a user would."""
    box = multiselect(page, label)
    combo = box.get_by_role("combobox", name=label)
    open_list(page, combo)
    for i, option in enumerate(options):
        page.get_by_role("option", name=option, exact=True).click()
        expect(chips(page, label)).to_have_text(options[: i + 1])
    page.keyboard.press("Escape")
    expect(combo).to_have_attribute("aria-expanded", "false")


def choose(page: Page, label: str, option: str) -> None:
    """Choose one option of a selectbox in the main area."""
    box = main(page).get_by_role("combobox", name=label)
    open_list(page, box)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def go_to(page: Page, app: App, title: str) -> None:
    """Switch page through the sidebar navigation link."""
    link = sidebar(page).get_by_test_id("stSidebarNavLink")
    link.filter(has_text=re.compile(f"^{re.escape(title)}$")).click()
    expect(main(page).get_by_role("heading", name=title, exact=True)).to_be_visible()
    settle(page, app)


def open_url(page: Page, app: App, url: str) -> None:
    page.goto(url)
    settle(page, app)


def logrank_text(page: Page) -> Locator:
    return main(page).locator("p").filter(has_text=re.compile(r"^Log-rank: "))


def shot(page: Page, name: str, viewport: dict | None = None) -> None:
    """Full-page screenshot. Streamlit scrolls inside the main area and the sidebar, not the page,
    so the viewport is stretched to their full height first (then set back to `viewport`)."""
    viewport = viewport or VIEWPORT
    OUT.mkdir(parents=True, exist_ok=True)
    # Charts draw asynchronously: wait until every Plotly chart has its SVG.
    expect(page.locator("[data-testid='stPlotlyChart']:not(:has(.main-svg))")).to_have_count(0)
    height = page.evaluate(
        "Math.max(...['stMain', 'stSidebarContent'].map(id => "
        "document.querySelector(`[data-testid=${id}]`)?.scrollHeight ?? 0))"
    )
    tall = max(viewport["height"], min(int(height) + 40, 12_000))
    page.set_viewport_size({"width": viewport["width"], "height": tall})
    try:
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(viewport)


def upload(page: Page, path: Path) -> None:
    """Upload a cohort file (the Data page also has an uploader for a separate AE table)."""
    uploader = main(page).get_by_test_id("stFileUploader").filter(has_text=COHORT_UPLOADER)
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(path)


def expect_headline(page: Page, text: str) -> None:
    """Exactly one sidebar headline, with this text. (A list, not a strict locator: while a run is
    in progress Streamlit keeps the previous run's element next to the new one for a moment.)"""
    expect(headline(page)).to_have_text([text])


def expect_dataset(page: Page, app: App, name: str, n: int) -> None:
    """The sidebar names the file and says it holds n patients, none filtered out."""
    expect_headline(page, f"n = {n} of {n} patients")
    settle(page, app)
    expect(sidebar(page).get_by_text(f"Data: {name}", exact=True)).to_have_count(1)


# ---------------------------------------------------------------- tests


def test_upload_filter_survival_navigation_and_shared_url(
    chromium: Browser, app: App, files: dict[str, Path]
):
    path = files["euro"]
    cohort = read(path)
    n_file = len(cohort)
    assert n_file == 50
    histotypes = ["UPS", "LMS"]
    subset = apply_filters(cohort, FilterState(histotypes=tuple(histotypes)))
    # Plain pandas count as an independent check of the filter.
    assert subset.n == int(cohort["histotype"].isin(histotypes).sum())
    assert 2 < subset.n < n_file
    p_all, p_subset = page_logrank_line(cohort), page_logrank_line(subset.subset)
    # The test is only meaningful if the filter visibly changes the p-value.
    assert p_all != p_subset

    page = new_page(chromium)
    try:
        open_url(page, app, app.url)
        expect_headline(page, "n = 72 of 72 patients")
        shot(page, "01_start_sample_cohort")

        # Upload through the file uploader on the Data page.
        upload(page, path)
        expect_dataset(page, app, path.name, n_file)
        settle(page, app)
        quality = main(page).get_by_test_id("stText")
        expect(quality).to_contain_text(f"Read {n_file} patient rows from {path.name}")
        expect(quality).to_contain_text("separator semicolon, decimal ','")
        expect(markdown(page, path.name)).to_be_visible()
        expect(main(page).get_by_test_id("stAlertContentError")).to_have_count(0)
        # The umlaut in the cp1252 file reached the centre filter intact.
        open_list(page, sidebar(page).get_by_role("combobox", name="Centre"))
        expect(page.get_by_role("option", name="Zentrum A Göttingen", exact=True)).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("option")).to_have_count(0)
        shot(page, "02_uploaded_european_csv")

        # Survival by line of therapy on the whole upload.
        go_to(page, app, "Survival")
        choose(page, "Compare by", LINE_GROUPING)
        expect(logrank_text(page)).to_have_text([p_all])
        settle(page, app)
        shot(page, "03_survival_by_line_all_patients")

        # Narrow the histotype filter: count and p-value change to the core's numbers.
        pick(page, "Histotype", histotypes)
        expect_headline(page, f"n = {subset.n} of {n_file} patients")
        expect(logrank_text(page)).to_have_text([p_subset])
        settle(page, app)
        assert "histotype=UPS&histotype=LMS" in page.url
        shot(page, "04_survival_by_line_ups_lms")

        # The filter survives page switches (sidebar links), the headline stays the same.
        for i, title in enumerate(["Cohort", "Response", "Subgroups", "Data", "Survival"], start=5):
            go_to(page, app, title)
            expect(chips(page, "Histotype")).to_have_text(histotypes)
            expect_headline(page, f"n = {subset.n} of {n_file} patients")
            assert "histotype=UPS&histotype=LMS" in page.url, title
            shot(page, f"{i:02d}_filter_kept_{title.lower()}")

        # Shared URL: the filters come back in a new session, the uploaded data does not (it never
        # leaves the session that uploaded it), so the new page shows the sample with the filter.
        shared = page.url
        assert path.name not in shared and "EURO" not in shared
        other = page.context.new_page()
        open_url(other, app, shared)
        sample_subset = apply_filters(read(SAMPLE), FilterState(histotypes=tuple(histotypes)))
        expect(chips(other, "Histotype")).to_have_text(histotypes)
        expect_headline(other, f"n = {sample_subset.n} of 72 patients")
        expect(sidebar(other).get_by_text(f"Data: {SAMPLE_NAME}", exact=True)).to_be_visible()
        expect(other.get_by_text(path.name)).to_have_count(0)
        shot(other, "10_shared_url_after_upload_shows_sample_with_filter")
    finally:
        page.context.close()


def test_shared_url_reopens_the_same_view(chromium: Browser, app: App):
    sample = read(SAMPLE)
    histotypes, sexes = ["LPS", "Other"], ["Male"]
    expected = apply_filters(sample, FilterState(histotypes=tuple(histotypes), sexes=tuple(sexes)))
    by_hand = sample["histotype"].isin(histotypes) & sample["sex"].isin(sexes)
    assert expected.n == int(by_hand.sum())
    core = survival_by_group(expected.subset, "PFS", None)
    follow_up = re.compile(rf"Analysed {core.n_analysed} of {expected.n} patients in the selection")

    page = new_page(chromium)
    try:
        open_url(page, app, app.url)
        go_to(page, app, "Survival")
        pick(page, "Histotype", histotypes)
        pick(page, "Sex", sexes)
        expect_headline(page, f"n = {expected.n} of 72 patients")
        expect(main(page).get_by_text(follow_up)).to_be_visible()
        settle(page, app)
        shot(page, "11_shared_url_original")
        shared = page.url
        assert shared.startswith(f"{app.url}/survival?")

        # A different browser (fresh context) opening the link gets the same view.
        other = new_page(chromium)
        try:
            open_url(other, app, shared)
            expect(main(other).get_by_role("heading", name="Survival", exact=True)).to_be_visible()
            expect(chips(other, "Histotype")).to_have_text(histotypes)
            expect(chips(other, "Sex")).to_have_text(sexes)
            expect_headline(other, f"n = {expected.n} of 72 patients")
            expect(main(other).get_by_text(follow_up)).to_be_visible()
            settle(other, app)
            shot(other, "12_shared_url_reopened")
        finally:
            other.context.close()
    finally:
        page.context.close()


def test_two_sessions_never_see_each_others_upload(
    chromium: Browser, app: App, files: dict[str, Path]
):
    a_path, b_path = files["alpha"], files["bravo"]
    n_a, n_b = len(read(a_path)), len(read(b_path))
    assert (n_a, n_b) == (30, 20)

    page_a, page_b = new_page(chromium), new_page(chromium)
    try:
        open_url(page_a, app, app.url)
        open_url(page_b, app, app.url)
        # Both uploads in flight at the same time.
        upload(page_a, a_path)
        upload(page_b, b_path)
        expect_dataset(page_a, app, a_path.name, n_a)
        expect_dataset(page_b, app, b_path.name, n_b)
        settle(page_a, app)
        settle(page_b, app)
        for page, mine, theirs in ((page_a, a_path, b_path), (page_b, b_path, a_path)):
            expect(main(page).get_by_test_id("stText")).to_contain_text(f"from {mine.name}")
            expect(page.get_by_text(theirs.name)).to_have_count(0)
        shot(page_a, "13_session_a_alpha")
        shot(page_b, "14_session_b_bravo")

        # A reloaded page is a new session: it starts on the sample, never on A's (or its own) file.
        page_b.reload()
        settle(page_b, app)
        expect_dataset(page_b, app, SAMPLE_NAME, 72)
        expect(page_b.get_by_text(a_path.name)).to_have_count(0)
        expect(page_b.get_by_text(b_path.name)).to_have_count(0)
        shot(page_b, "15_session_b_reloaded")
        # A still has its own file after B's reload.
        go_to(page_a, app, "Cohort")
        expect_dataset(page_a, app, a_path.name, n_a)

        # A third browser opening the app sees the synthetic sample only.
        page_c = new_page(chromium)
        try:
            open_url(page_c, app, app.url)
            expect_dataset(page_c, app, SAMPLE_NAME, 72)
            expect(markdown(page_c, SAMPLE_NAME)).to_be_visible()
            expect(main(page_c).get_by_test_id("stText")).to_contain_text("Read 72 patient rows")
            for name in (a_path.name, b_path.name):
                expect(page_c.get_by_text(name)).to_have_count(0)
            shot(page_c, "16_third_session_sample")
        finally:
            page_c.context.close()
    finally:
        page_a.context.close()
        page_b.context.close()


def test_every_page_renders_on_the_sample_cohort(chromium: Browser, app: App):
    page = new_page(chromium)
    try:
        open_url(page, app, app.url)
        links = sidebar(page).get_by_test_id("stSidebarNavLink")
        expect(links).to_have_text(PAGES)
        for i, title in enumerate(PAGES, start=1):
            go_to(page, app, title)
            expect_headline(page, "n = 72 of 72 patients")
            if title == "Survival":
                # The KM figure with its at-risk table is drawn.
                expect(main(page).get_by_test_id("stPlotlyChart")).to_have_count(1)
                figure = main(page).get_by_test_id("stPlotlyChart")
                expect(figure.locator(".main-svg").first).to_be_visible()
                expect(figure.get_by_text("Number at risk", exact=True)).to_have_count(1)
                expect(figure.get_by_text("Months from ICI start", exact=True)).to_have_count(1)
            shot(page, f"page_{i:02d}_{re.sub(r'[^a-z]+', '_', title.lower()).strip('_')}")
    finally:
        page.context.close()


def test_a_hostile_file_fetches_nothing_and_links_nothing(chromium: Browser, app: App):
    """Markdown/HTML payloads in cells, headers and the file name, on every page of a real
    browser: no request leaves the server's origin, no image or link from the file appears."""
    from tests.test_app_hostile import hostile_csv

    page = new_page(chromium)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((app.url, "data:", "blob:")) else None)
    try:
        open_url(page, app, app.url)
        uploader = main(page).get_by_test_id("stFileUploader").filter(has_text=COHORT_UPLOADER)
        name = "<b>centre</b> ![f](beacon.png).csv"
        uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": hostile_csv()}
        )
        expect_headline(page, "n = 24 of 24 patients")
        expect(sidebar(page).get_by_text(f"Data: {name}", exact=True)).to_have_count(1)  # shown as typed
        for title in PAGES:
            go_to(page, app, title)
            if title == "Survival":
                choose(page, "Compare by", "Centre")
                settle(page, app)
                legend = main(page).get_by_test_id("stPlotlyChart").locator(".legendtext")
                expect(legend.filter(has_text='<a href="http://evil.example">UPS</a>')).to_have_count(1)
            expect(page.locator("img[src*='127.0.0.1:9'], img[src*='beacon'], img[src*='evil']")).to_have_count(0)
            # No link from the file anywhere (a GFM autolink in a widget label was one, before the
            # word joiners of markdown_escape).
            expect(page.locator("a[href*='evil'], a[href*='127.0.0.1:9'], svg a")).to_have_count(0)
            expect(main(page).locator("strong", has_text="bold")).to_have_count(0)
            if title == "Survival":
                shot(page, "hostile_survival")
        assert outside == []
    finally:
        page.context.close()


# ---------------------------------------------------------------- tumour-board outputs


def swimmer_chart(page: Page) -> Locator:
    """The Response page's swimmer plot (the chart whose legend has the ongoing-treatment arrow)."""
    return main(page).get_by_test_id("stPlotlyChart").filter(has_text="Still on treatment")


def shot_element(page: Page, element: Locator, name: str) -> None:
    """Screenshot of one element at its full height (the viewport is stretched around it)."""
    OUT.mkdir(parents=True, exist_ok=True)
    box = element.bounding_box()
    assert box is not None
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(box["height"]) + 200)})
    try:
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(OUT / f"{name}.png"))
    finally:
        page.set_viewport_size(VIEWPORT)


def test_swimmer_plot_on_the_response_page(chromium: Browser, app: App, tmp_path: Path):
    """The swimmer plot as a clinician sees it: one lane per patient of the sample (72, the
    seed's best responses), the patient ID on hover, the colour choice in the URL, presentation
    sizes, and a file without treatment dates explained instead of drawn."""
    cohort = read(SAMPLE)
    page = new_page(chromium)
    try:
        open_url(page, app, app.url)
        go_to(page, app, "Response")
        chart = swimmer_chart(page)
        expect(chart).to_have_count(1)
        expect(chart.locator(".main-svg").first).to_be_visible()
        # One bar per patient, in the five best-response traces.
        expect(chart.locator("g.trace.bars g.point")).to_have_count(len(cohort))
        for name in ("Response (first CR/PR)", "Progression", "Death", "Still on treatment"):
            expect(chart.locator(".legendtext").filter(has_text=name)).to_have_count(1)
        # At 72 patients each lane is labelled with its ID; the hover names the patient too.
        expect(chart.locator(".ytick text").filter(has_text="SYN-001")).to_have_count(1)
        shot_element(page, chart, "swimmer_sample_by_best_response")
        # Plotly's drag layer sits over the bars: move the mouse to the longest bar, as a user does.
        bar = chart.locator("g.trace.bars g.point path").first
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(chart.locator(".hoverlayer").get_by_text(re.compile(r"SYN-\d{3}"))).to_have_count(1)

        # Colour by regimen class: written to the URL; four regimen classes in the legend.
        main(page).get_by_test_id("stRadio").filter(has_text="Colour the swimmer plot by").get_by_text(
            "Regimen class", exact=True).click()
        settle(page, app)
        expect(page).to_have_url(re.compile(r"[?&]swim_color=regimen_class(&|$)"))
        chart = swimmer_chart(page)
        for name in ("ICI monotherapy", "Double ICI", "ICI + TKI", "ICI + chemotherapy"):
            expect(chart.locator(".legendtext").filter(has_text=name)).to_have_count(1)
        shot_element(page, chart, "swimmer_sample_by_regimen_class")
        shot(page, "swimmer_response_page")

        # Presentation mode: the same lanes at projector sizes.
        sidebar(page).get_by_text("Presentation mode", exact=True).click()
        expect(presentation_switch(page)).to_be_checked()
        settle(page, app)
        chart = swimmer_chart(page)
        expect(chart.locator(".xtick text").first).to_have_css("font-size", f"{PlotStyle.presentation().font_size}px")
        assert chart.bounding_box()["height"] <= 920  # time axis and top lanes on one projector screen
        shot_element(page, chart, "swimmer_sample_presentation")
        sidebar(page).get_by_text("Presentation mode", exact=True).click()
        expect(presentation_switch(page)).not_to_be_checked()
        settle(page, app)

        # A file without treatment dates: the view says what is missing, nothing fails.
        raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).drop(
            columns=["treatment_start", "response_date", "progression_date", "death_date", "last_follow_up", "treatment_end"])
        path = tmp_path / "no_treatment_dates.csv"
        raw.to_csv(path, index=False)
        go_to(page, app, "Data")
        upload(page, path)
        expect_dataset(page, app, path.name, len(raw))
        go_to(page, app, "Response")
        expect(swimmer_chart(page)).to_have_count(0)
        alerts = main(page).get_by_test_id("stAlertContentWarning")
        expect(alerts.filter(has_text="There are no treatment end dates (column treatment_end")).to_have_count(1)
        expect(alerts.filter(has_text="There are no response dates (column response_date")).to_have_count(1)
        shot(page, "swimmer_file_without_treatment_dates")
    finally:
        page.context.close()


def slug(title: str) -> str:
    return re.sub(r"[^a-z]+", "_", title.lower()).strip("_")


def tick_font_sizes(page: Page) -> list[str]:
    """Rendered font sizes of the axis tick labels of the Survival page's Plotly figure."""
    ticks = main(page).get_by_test_id("stPlotlyChart").locator(".xtick text, .ytick text")
    return ticks.evaluate_all("els => els.map(e => getComputedStyle(e).fontSize)")


def presentation_switch(page: Page) -> Locator:
    return sidebar(page).get_by_role("switch", name="Presentation mode")


PROJECTOR = {"width": 1920, "height": 1080}


def test_presentation_mode_at_1920x1080(chromium: Browser, app: App):
    """Every page in both modes at a projector's resolution (screenshots kept as CI artefacts);
    in presentation mode the KM figure with its risk table fits the first screen under a compact
    header that keeps the cohort and the filters in view, and tables are drawn large."""
    normal, big = f"{PlotStyle().font_size}px", f"{PlotStyle.presentation().font_size}px"
    assert (normal, big) == ("14px", "22px")
    context = chromium.new_context(viewport=PROJECTOR, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        open_url(page, app, app.url)
        for i, title in enumerate(PAGES, start=1):
            go_to(page, app, title)
            shot(page, f"normal_1920_{i:02d}_{slug(title)}", viewport=PROJECTOR)
        go_to(page, app, "Survival")
        ticks = main(page).get_by_test_id("stPlotlyChart").locator(".xtick text, .ytick text")
        expect(ticks.first).to_have_css("font-size", normal)
        expect(presentation_switch(page)).not_to_be_checked()
        assert "present=" not in page.url

        # Click the toggle as a user does (on its label: the input itself is visually hidden).
        sidebar(page).get_by_text("Presentation mode", exact=True).click()
        expect(presentation_switch(page)).to_be_checked()
        settle(page, app)
        expect(page).to_have_url(re.compile(r"/survival\?(.*&)?present=true(&|$)"))
        header = main(page).locator("p").filter(has_text=re.compile(r"^Synthetic sample cohort .* · n = 72 of 72 patients · no filters"))
        expect(header).to_have_count(1)
        expect(ticks.first).to_have_css("font-size", big)
        sizes = tick_font_sizes(page)
        assert len(sizes) > 5 and set(sizes) == {big}, sizes
        # The page's choices are folded away; the figure, risk table included, is on the first screen.
        expect(main(page).get_by_test_id("stExpander").filter(has_text="Options")).to_have_count(1)
        figure = main(page).get_by_test_id("stPlotlyChart")
        expect(figure.locator(".main-svg").first).to_be_visible()
        box = figure.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"], box
        expect(figure.get_by_text("Number at risk", exact=True)).to_have_count(1)
        page.screenshot(path=str(OUT / "presentation_1920_first_screen_survival.png"))

        for i, title in enumerate(PAGES, start=1):
            go_to(page, app, title)  # fails on any stException
            expect(presentation_switch(page)).to_be_checked()
            assert re.search(r"[?&]present=true(&|$)", page.url), (title, page.url)
            expect(header).to_have_count(1)
            if title == "Cohort":  # tables as static HTML at projector size, not the canvas grid
                table = main(page).get_by_test_id("stTable").first
                expect(table).to_be_visible()
                size = table.locator("td").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
                assert size >= 20, size
            shot(page, f"presentation_1920_{i:02d}_{slug(title)}", viewport=PROJECTOR)
    finally:
        context.close()


class ReportHTML(HTMLParser):
    """The parts of the HTML report the test reads: scripts and links, the header text, and per
    <section id=...> its table rows and paragraphs (class, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.header: list[str] = []
        self.rows: dict[str, list[list[str]]] = {}
        self.paragraphs: dict[str, list[tuple[str, str]]] = {}
        self._section = ""
        self._in_header = False
        self._cell: list[str] | None = None
        self._para: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        elif tag == "link":
            self.links.append(a)
        elif tag == "header":
            self._in_header = True
        elif tag == "section":
            self._section = a.get("id") or ""
        elif tag == "tr" and self._section:
            self.rows.setdefault(self._section, []).append([])
        elif tag in ("td", "th") and self._section:
            self._cell = []
        elif tag == "p":
            self._para = (a.get("class") or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_header = False
        elif tag == "section":
            self._section = ""
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[self._section][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "p" and self._para is not None:
            cls, parts = self._para
            self.paragraphs.setdefault(self._section, []).append((cls, "".join(parts).strip()))
            self._para = None

    def handle_data(self, data: str) -> None:
        if self._in_header:
            self.header.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._para is not None:
            self._para[1].append(data)


def medians_of(rows: list[list[str]]) -> dict[str, str]:
    """{group: 'Median (95% CI), months' cell} of a KM summary table (header row first)."""
    header, *body = rows
    g, m = header.index("Group"), header.index("Median (95% CI), months")
    return {row[g]: row[m] for row in body}


def slide_texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def download(page: Page, button: str, target: Path) -> bytes:
    # Generous: the file is made on click, and the first PowerPoint export starts kaleido's browser.
    with page.expect_download(timeout=120_000) as info:
        main(page).get_by_role("button", name=button, exact=True).click()
    dl = info.value
    assert dl.failure() is None, dl.failure()
    dl.save_as(target)
    return target.read_bytes()


def test_report_downloads_from_the_page(chromium: Browser, app: App, tmp_path: Path):
    histotypes = ["UPS", "LMS"]
    cohort, quality = load_cohort(SAMPLE)
    expected = apply_filters(cohort, FilterState(histotypes=tuple(histotypes)))
    # Plain pandas count as an independent check of the filter.
    assert expected.n == int(cohort["histotype"].isin(histotypes).sum()) == 24
    filters = expected.describe()
    assert filters == ["Histotype: UPS, LMS (48 removed)"]
    n_line = f"n = {expected.n} of 72 patients"
    # PFS by line of therapy on the subset, with the Survival page's (and the report's) defaults.
    pfs = survival_by_group(expected.subset, "PFS", "line_2")
    assert pfs.small_groups == ()  # so the test label is one line, nothing appended
    logrank = page_logrank_line(expected.subset)  # also checks the p-value against lifelines
    assert pfs.test_label() == logrank and format_p(pfs.test.p_value) in logrank
    medians = dict(zip(pfs.table["Group"], pfs.table["Median (95% CI), months"], strict=True))
    assert len(medians) == 2
    methods = next(s.text for s in collect_report(
        expected, ReportOptions(survival=SurvivalOptions(grouping="line_2")), cohort_name=SAMPLE_NAME, quality=quality,
    ).sections if s.key == "methods")
    assert "compared by Line of therapy (1-2 vs ≥3) with the log-rank" in methods

    page = new_page(chromium)
    try:
        open_url(page, app, app.url)
        # The user narrows the histotypes and compares survival by line on the Survival page;
        # the Report page takes those choices over.
        pick(page, "Histotype", histotypes)
        expect_headline(page, n_line)
        go_to(page, app, "Survival")
        choose(page, "Compare by", LINE_GROUPING)
        expect(logrank_text(page)).to_have_text([logrank])
        settle(page, app)
        go_to(page, app, "Report")
        expect_headline(page, n_line)
        expect(main(page).get_by_test_id("stCode")).to_contain_text(methods)
        shot(page, "report_ups_lms_by_line")

        # ---- HTML report
        raw = download(page, "Download the HTML report (everything)", tmp_path / "report.html")
        doc = ReportHTML()
        doc.feed(raw.decode("utf-8"))
        doc.close()
        header = " ".join(" ".join(doc.header).split())
        assert SAMPLE_NAME in header and n_line in header, header
        for line in filters:
            assert line in header, header
        assert medians_of(doc.rows["km-pfs-table"]) == medians
        pfs_notes = [text for cls, text in doc.paragraphs["km-pfs"] if cls == "note"]
        assert logrank in pfs_notes, pfs_notes  # the view's test line, as the page prints it
        assert doc.paragraphs["methods"] == [("methods", methods)]
        # Self-contained: Plotly is inline, nothing is fetched from the network.
        assert doc.scripts and all(not s.get("src") for s in doc.scripts), doc.scripts
        remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
        assert not [a for a in doc.links if remote.match(a.get("href") or "")], doc.links
        assert not re.search(rb"<script[^>]*\ssrc\s*=\s*[\"']?\s*(https?:)?//", raw, re.IGNORECASE)

        # ---- PowerPoint deck: the default tumour-board deck, readable from the back of a room
        raw = download(page, "Download the PowerPoint deck", tmp_path / "report.pptx")
        deck = Presentation(io.BytesIO(raw))
        slides = list(deck.slides)
        assert len(slides) <= 15
        title = "\n".join(slide_texts(slides[0]))
        for text in (SAMPLE_NAME, n_line, *filters):
            assert text in title, title
        for slide in slides:
            for shape in slide.shapes:
                frames = [shape.text_frame] if shape.has_text_frame else []
                if shape.has_table:
                    frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
                for run in (r for f in frames for p in f.paragraphs for r in p.runs):
                    assert run.font.size is None or run.font.size.pt >= 14, (run.text, run.font.size.pt)
        figure_slides = [s for s in slides if s.shapes.title is not None
                         and s.shapes.title.text == f"Progression-free survival — {LINE_GROUPING}"]
        assert len(figure_slides) == 1
        assert logrank in figure_slides[0].notes_slide.notes_text_frame.text
        assert any(shape.shape_type == MSO_SHAPE_TYPE.PICTURE for shape in figure_slides[0].shapes)
        for i, slide in enumerate(slides, start=1):  # the deck's slide titles, for the artefacts
            (OUT / "deck_titles.txt").open("a" if i > 1 else "w").write(
                (slide.shapes.title.text if slide.shapes.title is not None else "") + "\n")
    finally:
        page.context.close()
