"""Load: 10 browser sessions changing filters on the sample and 3 on a 100k cohort, at once.

Run: `python -m bench load`. One real `streamlit run app.py` server, Debian's chromium through
Playwright's async API, each session its own browser context (its own Streamlit session).

Every session opens the Survival page compared by line of therapy and changes the sidebar's
histotype filter: add one value, add the next, remove the first, ... so every timed change is a
filter state the session has not seen (nothing comes from its per-session memo). "Redraw" is the
time, measured inside the page, from the pointer press on the option (or on a chip's remove
button) to the app being idle again with the sidebar headline showing the expected count and the
KM figure drawn. The headline is checked against counts from the cohort itself, so a session
that saw another session's data is reported, not timed.

Baselines of the same run: one session alone on the sample and one alone on the 100k cohort
(same changes, same count), then all 13 together. In that loaded phase the three uploads go first,
then the sample sessions open, and all start their timed changes at once; a session that finishes
early keeps changing filters (not timed) until every session has finished, so the load stays at
13 throughout. A phase time limit bounds the run: sessions still going are stopped and the
figures are computed from the changes made (the report says how many).

The server's process tree RSS is sampled every 100 ms in each phase, with the CPU time of the
server's tree, of this benchmark's (Playwright and chromium), and of the whole machine: the
browser runs on the same two cores as the server, so loaded redraw includes chromium competing
for CPU, and on a machine shared with other work every figure is inflated (the "machine" column
and the load average show by how much room there was).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from playwright.async_api import Browser, Page, expect
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from bench._browser import (
    OUT,
    ROOT,
    BenchSetupError,
    Phase,
    RssSampler,
    Server,
    chromium,
    new_session,
    status_kib,
    streamlit_server,
    wait_idle,
)
from sarcoma.ingest import load_cohort
from sarcoma.synthetic import generate_cohort

# Issue 10's scenario: ten clinicians on the bundled sample, three on their own 100k-patient file.
SAMPLE_SESSIONS = 10
BIG_SESSIONS = 3
BIG_N = 100_000
BIG_SEED = 20_251_010
# Timed filter changes per session, after untimed warm-up changes (the first redraw of a session
# also pays for building its first figures). 8 per session: 80 timed redraws on the sample under
# load, 24 on the 100k cohort, 8 for each single-session baseline; more makes the 100k sessions
# (seconds per redraw under load) outlast "a few minutes".
MEASURED = 8
WARMUP = 1
# Histotypes the changes cycle through: the six commonest, so each single-histotype subset still
# splits by line of therapy (2 x 6 = 12 distinct states >= WARMUP + MEASURED).
LEVELS = 6
# Timeouts, so a stuck session is reported by name instead of hanging the benchmark, and a
# limit per phase so the whole run stays near ten minutes even on a saturated machine.
STEP_TIMEOUT_S = 150
UPLOAD_TIMEOUT_S = 300
PHASE_LIMIT_S = 480
IDLE_S = 3.0
POLL_MS = 20  # how often the page checks whether the redraw is complete

SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
COHORT_UPLOADER = "Upload your centre's cohort"
LINE_GROUPING = "Line of therapy (1-2 vs ≥3)"
SERVER_LOG = OUT / "load-server.log"

# Installed in every page before the app loads: remembers when the pointer was pressed after the
# benchmark armed it, and when the script state attribute last left and last returned to
# notRunning (oldValue catches a run that started and finished between two observer callbacks).
# Those two are only for the split of the redraw: when the page is starved, React can apply
# "running" and "notRunning" in one render and the attribute never changes.
PROBE_JS = """
(() => {
  window.__lb = {armed: false, t0: null, ran: false, tRun: null, tIdle: null};
  document.addEventListener("pointerdown", () => {
    const lb = window.__lb;
    if (lb.armed && lb.t0 === null) lb.t0 = performance.now();
  }, true);
  new MutationObserver(records => {
    const lb = window.__lb;
    if (lb.t0 === null) return;
    const now = performance.now();
    for (const r of records) {
      const state = r.target.getAttribute("data-test-script-state");
      if (r.oldValue !== "notRunning" || state !== "notRunning") {
        lb.ran = true;
        if (lb.tRun === null) lb.tRun = now;
      }
      if (lb.ran && state === "notRunning") lb.tIdle = now;
    }
  }).observe(document, {attributes: true, attributeOldValue: true, subtree: true,
                        attributeFilter: ["data-test-script-state"]});
})();
"""
ARM_JS = "Object.assign(window.__lb, {armed: true, t0: null, ran: false, tRun: null, tIdle: null})"
# The page's view once a run has finished: null while running or still drawing.
VIEW_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return null;
  if (document.querySelector("[data-testid='stSkeleton']")) return null;
  const error = document.querySelector("[data-testid='stException']");
  if (error) return {error: error.innerText.slice(0, 400)};
  const heads = [...document.querySelectorAll("[data-testid='stSidebar'] h3")]
    .map(h => h.innerText.trim()).filter(t => /^n = \\d+ of \\d+ patients/.test(t));
  if (heads.length !== 1) return null;
  const m = heads[0].match(/^n = (\\d+) of (\\d+) patients/);
  const main = document.querySelector("[data-testid='stMain']");
  const combo = main && main.querySelector("input[role='combobox'][aria-label='Compare by']");
  return {n: +m[1], total: +m[2], grouping: combo ? combo.value : null,
          chart: !!(main && main.querySelector("[data-testid='stPlotlyChart'] .main-svg"))};
}
"""
# Done when the page is idle after the press and shows the expected headline and the figure, or
# an exception, or another headline (the caller reports those). Every change moves the count (each
# histotype has patients), so the expected headline can only come from the run the press started.
REDRAW_JS = f"""
([n, total]) => {{
  const lb = window.__lb;
  if (lb.t0 === null) return false;
  const view = ({VIEW_JS})();
  if (view === null || (!view.error && !(view.n === n && view.total === total && view.chart))) return false;
  const now = performance.now();
  const split = lb.tRun !== null && lb.tIdle !== null && lb.tIdle > lb.tRun;
  return Object.assign(view, {{ms: now - lb.t0, start: split ? lb.tRun - lb.t0 : null,
                               run: split ? lb.tIdle - lb.tRun : null, draw: split ? now - lb.tIdle : null}});
}}
"""
# The Survival page compared by a grouping: its log-rank line is under the figure.
GROUPED_JS = f"""
() => {{
  const view = ({VIEW_JS})();
  if (view === null || view.error) return view || false;
  const logrank = [...document.querySelectorAll("[data-testid='stMain'] p")].some(p => p.innerText.startsWith("Log-rank: "));
  return view.chart && logrank ? view : false;
}}
"""
HEADLINE_JS = f"""
([n, total]) => {{
  const view = ({VIEW_JS})();
  return view !== null && (view.error || (view.n === n && view.total === total)) ? view : false;
}}
"""


# ---------------------------------------------------------------- the filter changes


@dataclass(frozen=True)
class Change:
    action: str  # "add" or "remove"
    value: str
    selection: tuple[str, ...]  # the histotypes selected after the change

    def describe(self) -> str:
        return f"{self.action} {self.value}"


def filter_plan(levels: Sequence[str], start: int, count: int) -> list[Change]:
    """add L[s], add L[s+1], remove L[s], add L[s+2], remove L[s+1], ... (indices modulo len).

    Every state holds one or two histotypes; with three or more levels the first 2 x len(levels)
    states are all different, so none of them is served from the session's memo.
    """
    if len(levels) < 3:
        raise ValueError("filter_plan needs at least three levels to avoid repeating a state")
    first = levels[start % len(levels)]
    plan = [Change("add", first, (first,))]
    i = start
    while len(plan) < count:
        held, nxt = levels[i % len(levels)], levels[(i + 1) % len(levels)]
        plan.append(Change("add", nxt, (held, nxt)))
        plan.append(Change("remove", held, (nxt,)))
        i += 1
    return plan[:count]


# ---------------------------------------------------------------- cohorts


@dataclass(frozen=True)
class Cohort:
    label: str
    counts: dict[str, int]  # patients per histotype, as the app reads the file
    total: int
    upload: Path | None = None  # None: the bundled sample every session starts on

    @property
    def levels(self) -> list[str]:
        return sorted(self.counts, key=lambda h: (-self.counts[h], h))[:LEVELS]

    def expected_n(self, selection: tuple[str, ...]) -> int:
        return sum(self.counts[h] for h in selection)


def histotype_counts(cohort) -> dict[str, int]:
    return {str(k): int(v) for k, v in cohort["histotype"].value_counts().items()}


def sample_cohort() -> Cohort:
    cohort, _ = load_cohort(SAMPLE)
    return Cohort("sample (72)", histotype_counts(cohort), len(cohort))


def upload_limit_bytes() -> int:
    """server.maxUploadSize in bytes (counted in decimal MB: the stricter reading)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return int(config.get("server", {}).get("maxUploadSize", 200)) * 1_000_000


def big_cohort(folder: Path) -> Cohort:
    """The 100k synthetic cohort written as the CSV a centre would upload."""
    frame = generate_cohort(BIG_N, seed=BIG_SEED)
    path = folder / f"synthetic_{BIG_N // 1000}k_seed{BIG_SEED}.csv"
    frame.to_csv(path, index=False)
    size, limit = path.stat().st_size, upload_limit_bytes()
    if size >= limit:
        raise BenchSetupError(f"the {BIG_N:,}-patient CSV is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB upload limit")
    return Cohort(f"{BIG_N // 1000}k ({size / 1e6:.0f} MB CSV)", histotype_counts(frame), len(frame), path)


# ---------------------------------------------------------------- one browser session


@dataclass
class SessionResult:
    name: str
    cohort: Cohort
    redraw_ms: list[float] = field(default_factory=list)
    # Each timed redraw split in the page: press -> run starts, the run, run ends -> figure drawn
    # (NaN when the page never showed the run as running).
    split_ms: list[tuple[float, float, float]] = field(default_factory=list)
    upload_s: float | None = None
    untimed: int = 0  # changes made after the timed ones, to keep the others under load
    failure: str | None = None
    notes: list[str] = field(default_factory=list)
    stage: str = "starting"  # what the session was doing, for a failure message
    cut_short: bool = False  # the phase time limit stopped it before its last timed change


class Gate:
    """Orders a phase's sessions. Uploads go first: sessions on the sample open the app once the
    uploading sessions are ready (three 33 MB uploads at once starve a page that opens meanwhile,
    which is not what this benchmark measures). Then all start their timed changes together and
    keep the load on until all have finished them. Every session calls arrive() and finish()
    once, and an uploading one uploaded() once, whatever happens."""

    def __init__(self, sessions: int, uploads: int) -> None:
        self._left_to_arrive = self._left_to_finish = sessions
        self._left_to_upload = uploads
        self.all_arrived, self.all_finished = asyncio.Event(), asyncio.Event()
        self.all_uploaded = asyncio.Event()
        if uploads <= 0:
            self.all_uploaded.set()

    def uploaded(self) -> None:
        self._left_to_upload -= 1
        if self._left_to_upload <= 0:
            self.all_uploaded.set()

    def arrive(self) -> None:
        self._left_to_arrive -= 1
        if self._left_to_arrive <= 0:
            self.all_arrived.set()

    def finish(self) -> None:
        self._left_to_finish -= 1
        if self._left_to_finish <= 0:
            self.all_finished.set()


class StepFailed(Exception):
    pass


async def page_view(page: Page) -> str:
    """What the page shows now, for a failure message (never raises, never hangs)."""
    try:
        view = await asyncio.wait_for(page.evaluate(VIEW_JS), 10)
        state = await asyncio.wait_for(
            page.evaluate("document.querySelector(\"[data-testid='stApp']\")?.getAttribute('data-test-script-state')"), 10
        )
        probe = await asyncio.wait_for(page.evaluate("window.__lb"), 10)
    except (PlaywrightError, TimeoutError) as exc:
        return f"page did not answer ({type(exc).__name__})"
    return f"script state {state!r}, view {view}, probe {probe}"


async def idle(page: Page) -> None:
    try:
        await wait_idle(page, STEP_TIMEOUT_S * 1000)
    except PlaywrightTimeoutError as exc:
        raise StepFailed(f"the app was not idle within {STEP_TIMEOUT_S} s") from exc


async def open_list(page: Page, label: str) -> None:
    """Open a multiselect/selectbox list by keyboard, as tests/test_browser.py does: a click right
    after another list closed only focuses the field, and a rerun in flight can close it again."""
    combo = page.get_by_role("combobox", name=label, exact=True)
    for _ in range(3):
        await idle(page)
        await combo.focus()
        await page.keyboard.press("ArrowDown")
        try:
            await expect(combo).to_have_attribute("aria-expanded", "true", timeout=5_000)
            return
        except AssertionError:
            await page.keyboard.press("Escape")
    raise StepFailed(f"the {label!r} list did not open")


async def await_view(page: Page, script: str, n: int, total: int, timeout_s: float) -> dict:
    try:
        handle = await page.wait_for_function(script, arg=[n, total], polling=POLL_MS, timeout=timeout_s * 1000)
    except PlaywrightTimeoutError as exc:
        raise StepFailed(f"no finished run showing 'n = {n} of {total} patients' within {timeout_s} s") from exc
    view = await handle.json_value()
    if view.get("error"):
        raise StepFailed(f"the app shows an exception: {view['error']!r}")
    if (view["n"], view["total"]) != (n, total):
        raise StepFailed(f"expected 'n = {n} of {total} patients', the page shows {view['n']} of {view['total']}")
    return view


async def prepare(page: Page, url: str, cohort: Cohort, result: SessionResult) -> None:
    """Open the app, upload the cohort if it is not the sample, open Survival compared by line."""
    result.stage = "opening the app"
    await page.add_init_script(PROBE_JS)
    await page.goto(url)
    await idle(page)
    if cohort.upload is not None:
        result.stage = "uploading the cohort"
        started = time.monotonic()
        uploader = page.get_by_test_id("stMain").get_by_test_id("stFileUploader").filter(has_text=COHORT_UPLOADER)
        await uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(cohort.upload)
        await await_view(page, HEADLINE_JS, cohort.total, cohort.total, UPLOAD_TIMEOUT_S)
        result.upload_s = time.monotonic() - started
    result.stage = "opening the Survival page"
    links = page.get_by_test_id("stSidebar").get_by_test_id("stSidebarNavLink")
    await links.filter(has_text=re.compile(r"^Survival$")).click()
    await page.get_by_test_id("stMain").get_by_role("heading", name="Survival", exact=True).wait_for()
    result.stage = "comparing by line of therapy"
    await open_list(page, "Compare by")
    await page.get_by_role("option", name=LINE_GROUPING, exact=True).click()
    try:
        handle = await page.wait_for_function(GROUPED_JS, polling=POLL_MS, timeout=STEP_TIMEOUT_S * 1000)
    except PlaywrightTimeoutError as exc:
        raise StepFailed(f"no log-rank test under the figure within {STEP_TIMEOUT_S} s") from exc
    view = await handle.json_value()
    if view.get("error"):
        raise StepFailed(f"the app shows an exception: {view['error']!r}")
    if view["grouping"] != LINE_GROUPING:
        raise StepFailed(f"'Compare by' shows {view['grouping']!r}, not {LINE_GROUPING!r}")


async def change_filter(page: Page, cohort: Cohort, change: Change) -> dict:
    """Make one histotype change and return the page's view with the redraw time `ms`."""
    sidebar = page.get_by_test_id("stSidebar")
    if change.action == "add":
        await open_list(page, "Histotype")
        await page.evaluate(ARM_JS)
        await page.get_by_role("option", name=change.value, exact=True).click()
    else:
        await idle(page)
        await page.evaluate(ARM_JS)
        await sidebar.get_by_role("button", name=f"Remove {change.value}", exact=True).click()
    view = await await_view(page, REDRAW_JS, cohort.expected_n(change.selection), cohort.total, STEP_TIMEOUT_S)
    if change.action == "add":
        await page.keyboard.press("Escape")  # close the list; no rerun
    return view


async def run_session(
    browser: Browser, url: str, name: str, cohort: Cohort, start: int, gate: Gate, deadline: float
) -> SessionResult:
    result = SessionResult(name, cohort)
    page: Page | None = None
    arrived = finished = uploaded = False
    try:
        if cohort.upload is None:
            result.stage = "waiting for the uploads"
            await gate.all_uploaded.wait()
        page = await new_session(browser, STEP_TIMEOUT_S * 1000)
        await prepare(page, url, cohort, result)
        if cohort.upload is not None:
            gate.uploaded()
            uploaded = True
        gate.arrive()
        arrived = True
        await gate.all_arrived.wait()
        # Enough changes for the timed ones and for keeping the load on while others finish.
        plan = filter_plan(cohort.levels, start, 10 * (WARMUP + MEASURED))
        for i, change in enumerate(plan):
            if i == WARMUP + MEASURED:
                gate.finish()
                finished = True
            if finished and gate.all_finished.is_set():
                break
            if time.monotonic() > deadline:
                result.cut_short = not finished
                break
            result.stage = f"change {i + 1} ({change.describe()})"
            view = await change_filter(page, cohort, change)
            if finished:
                result.untimed += 1
            elif i >= WARMUP:
                result.redraw_ms.append(view["ms"])
                result.split_ms.append(tuple(np.nan if view[k] is None else view[k] for k in ("start", "run", "draw")))
            if view["grouping"] != LINE_GROUPING and not result.notes:
                result.notes.append(f"{result.stage}: 'Compare by' became {view['grouping']!r}")
    except (PlaywrightError, StepFailed, TimeoutError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        now = await page_view(page) if page is not None else "no page"
        result.failure = f"{result.stage}: {detail} [{now}]"
    finally:
        if cohort.upload is not None and not uploaded:
            gate.uploaded()
        if not arrived:
            gate.arrive()
        if not finished:
            gate.finish()
        if page is not None:
            try:
                await asyncio.wait_for(page.context.close(), 30)
            except (PlaywrightError, TimeoutError):
                result.notes.append("its browser context did not close within 30 s")
    return result


async def run_phase(browser: Browser, url: str, sessions: list[tuple[str, Cohort, int]]) -> list[SessionResult]:
    gate = Gate(len(sessions), uploads=sum(cohort.upload is not None for _, cohort, _ in sessions))
    deadline = time.monotonic() + PHASE_LIMIT_S
    return list(await asyncio.gather(*(
        run_session(browser, url, name, cohort, start, gate, deadline) for name, cohort, start in sessions
    )))


# ---------------------------------------------------------------- the run


@dataclass
class Run:
    single_sample: list[SessionResult]
    single_big: list[SessionResult]
    loaded: list[SessionResult]
    phases: list[Phase]
    hwm_kib: int
    log: str
    seconds: float
    load_average: tuple[float, float]  # other work on the machine inflates every figure


async def drive(server: Server, sampler: RssSampler, sample: Cohort, big: Cohort) -> tuple[list, list, list]:
    async with chromium() as browser:
        with sampler.phase("single session, sample"):
            single_sample = await run_phase(browser, server.url, [("sample-alone", sample, 0)])
        with sampler.phase(f"single session, {BIG_N // 1000}k"):
            single_big = await run_phase(browser, server.url, [(f"{BIG_N // 1000}k-alone", big, 0)])
        loaded_sessions = [(f"sample-{i + 1}", sample, i) for i in range(SAMPLE_SESSIONS)]
        loaded_sessions += [(f"{BIG_N // 1000}k-{i + 1}", big, i) for i in range(BIG_SESSIONS)]
        with sampler.phase(f"loaded: {SAMPLE_SESSIONS} sample + {BIG_SESSIONS} {BIG_N // 1000}k"):
            loaded = await run_phase(browser, server.url, loaded_sessions)
    return single_sample, single_big, loaded


def run() -> Run:
    started, load_before = time.monotonic(), os.getloadavg()[0]
    sample = sample_cohort()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        big = big_cohort(Path(tmp))
        with streamlit_server(SERVER_LOG) as server, RssSampler(
            server.pid, {"server": server.pid, "browser": os.getpid()}
        ) as sampler:
            with sampler.phase("idle after start"):
                time.sleep(IDLE_S)
            single_sample, single_big, loaded = asyncio.run(drive(server, sampler, sample, big))
            with sampler.phase("idle after the load (sessions closed)"):
                time.sleep(IDLE_S)
            hwm = status_kib(server.pid, "VmHWM")
            log = server.log_text()
    return Run(
        single_sample, single_big, loaded, sampler.phases, hwm, log, time.monotonic() - started,
        (load_before, os.getloadavg()[0]),
    )


# ---------------------------------------------------------------- the report


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(p50, p95, max); linear interpolation between order statistics (numpy's default)."""
    if not values:
        return (float("nan"),) * 3
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95), float(max(values))


def log_problems(log: str) -> list[str]:
    """Lines of the server log that report an error, an exception or a warning."""
    return [line for line in log.splitlines() if re.search(r"Traceback|Error|Exception|WARNING|Warning", line)]


def _mib(kib: int) -> str:
    return f"{kib / 1024:7.0f}"


def _row(label: str, sessions: str, results: list[SessionResult], alone: tuple[float, float] | None) -> str:
    times = [t for s in results for t in s.redraw_ms]
    p50, p95, top = percentiles(times)
    splits = np.asarray([x for s in results for x in s.split_ms], dtype=float).reshape(-1, 3)
    start, run, draw = np.nanmedian(splits, axis=0) if np.isfinite(splits).any() else (float("nan"),) * 3
    ratios = f"{p50 / alone[0]:>7.1f}{p95 / alone[1]:>7.1f}" if alone else " " * 14
    return (
        f"{label:<18}{sessions:>9}{len(times):>6}{p50:>8.0f}{p95:>8.0f}{top:>8.0f}{ratios}"
        f"{start:>8.0f}{run:>7.0f}{draw:>7.0f}"
    )


def report(r: Run) -> None:
    print(
        f"Survival page compared by line. Redraw = pointer press on a histotype option (or a chip's "
        f"remove button) -> app idle showing the new count with the KM figure drawn; {MEASURED} timed "
        f"changes per session after {WARMUP} warm-up. Times in ms; x = loaded / alone; median split: "
        "press -> run starts, run, run end -> figure drawn."
    )
    print(
        f"{'cohort':<18}{'sessions':>9}{'timed':>6}{'p50':>8}{'p95':>8}{'max':>8}{'p50 x':>7}{'p95 x':>7}"
        f"{'start':>8}{'run':>7}{'draw':>7}"
    )
    for alone, cohort_is_sample, others in ((r.single_sample, True, BIG_SESSIONS), (r.single_big, False, SAMPLE_SESSIONS)):
        together = [s for s in r.loaded if (s.cohort.upload is None) == cohort_is_sample]
        label = (alone or together)[0].cohort.label
        base = percentiles([t for s in alone for t in s.redraw_ms])[:2]
        print(_row(label, "1 alone", alone, None))
        print(_row("", f"{len(together)} (+{others})", together, base))
    print("  sessions (+k): k more sessions on the other cohort at the same time")
    before, after = r.load_average
    print(f"Machine load average (1 min) at start {before:.1f}, at end {after:.1f}, on {os.cpu_count()} cores")

    uploads_alone = [s.upload_s for s in r.single_big if s.upload_s is not None]
    uploads_loaded = [s.upload_s for s in r.loaded if s.upload_s is not None]
    if uploads_alone or uploads_loaded:
        print(
            f"Upload of the {BIG_N:,}-patient CSV until the app shows it: alone "
            + ", ".join(f"{u:.1f}" for u in uploads_alone)
            + " s; 3 at once " + ", ".join(f"{u:.1f}" for u in uploads_loaded) + " s"
        )
    untimed = sum(s.untimed for s in r.loaded)
    print(f"Untimed changes made to keep the load on until the last session finished: {untimed}")

    print(
        "\nServer memory: summed VmRSS of the streamlit process tree, sampled every 100 ms (MiB). "
        "CPU: cores kept busy on average by the server, by this benchmark with its chromium, and by "
        f"everything on the machine ({os.cpu_count()} cores; the rest is other work)."
    )
    print(f"{'phase':<40}{'start':>7}{'peak':>7}{'end':>7}{'seconds':>8}{'server':>8}{'browser':>8}{'machine':>8}")
    for p in r.phases:
        print(
            f"{p.name:<40}{_mib(p.start_kib)}{_mib(p.peak_kib)}{_mib(p.end_kib)}{p.wall_s:>8.0f}"
            f"{p.cores('server'):>8.2f}{p.cores('browser'):>8.2f}{p.cores('machine'):>8.2f}"
        )
    print(f"VmHWM of the streamlit process at the end: {r.hwm_kib / 1024:.0f} MiB")

    everyone = r.single_sample + r.single_big + r.loaded
    short = [s for s in everyone if s.cut_short]
    if short:
        made = sum(len(s.redraw_ms) for s in short)
        print(
            f"Phase time limit ({PHASE_LIMIT_S} s) reached: {len(short)} session(s) stopped early with "
            f"{made} of {len(short) * MEASURED} timed changes made ({', '.join(s.name for s in short)})"
        )
    problems = [s for s in everyone if s.failure or s.notes]
    for s in problems:
        if s.failure:
            print(f"FAILED  {s.name} ({s.cohort.label}): {s.failure}")
        for note in s.notes:
            print(f"note    {s.name} ({s.cohort.label}): {note}")
    lines = log_problems(r.log)
    if lines:
        print(f"Server log ({SERVER_LOG.relative_to(ROOT)}): {len(lines)} line(s) with an error or warning, first ones:")
        for line in lines[:10]:
            print(f"  {line[:200]}")
    else:
        print(f"Server log: no error or warning ({SERVER_LOG.relative_to(ROOT)})")
    print(f"Whole benchmark: {r.seconds:.0f} s")


def main() -> None:
    try:
        result = run()
    except BenchSetupError as exc:
        print(f"Load benchmark not run: {exc}")
        return
    report(result)


if __name__ == "__main__":
    main()
