"""Plumbing for benchmarks that drive the real app in a real browser.

- `streamlit_server(log)`: `streamlit run app.py` on a free loopback port, healthy before it is
  yielded, stopped with its whole process group afterwards.
- `chromium()`: Debian's chromium through Playwright's async API (one browser; each
  `new_session(browser)` is its own context, so its own Streamlit session).
- `wait_idle(page)`: until the current script run has finished.
- `RssSampler`: the server process tree's resident memory, and the CPU time of the server's and
  the browser's process trees, sampled in a thread, per phase.

The server and browser are started exactly as tests/test_browser.py's `app` and `chromium`
fixtures start them (same flags, health polling and shutdown). That module is not imported: it
pulls in pytest and the tests' oracles, and fails tests where a benchmark should print a message.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test-output" / "bench"
CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download does not work here; Debian's chromium does. Without the
# background-networking flags chromium keeps trying to reach Google services on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_S = 60
# The app's own marker that a script run has finished (the status widget fades in late).
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGE_SIZE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchSetupError(RuntimeError):
    """The server or the browser could not be started; the message says why, in plain words."""


# ---------------------------------------------------------------- server


@dataclass(frozen=True)
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to Streamlit alone first, so it can shut its children down cleanly; then the whole
    process group (it runs in its own session), so nothing outlives the benchmark."""
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


@contextmanager
def streamlit_server(log: Path) -> Iterator[Server]:
    """`streamlit run app.py` on a free loopback port; raises BenchSetupError if it never gets healthy."""
    log.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
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
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                raise BenchSetupError(
                    f"`streamlit run app.py` exited with code {proc.returncode} before it was "
                    f"healthy:\n{server.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=5) as resp:
                    if resp.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise BenchSetupError(
                    f"`streamlit run app.py` was not healthy after {SERVER_START_S} s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.5)
        yield server
    finally:
        stop_server(proc)


# ---------------------------------------------------------------- browser


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's chromium, headless; raises BenchSetupError if it is not installed."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        raise BenchSetupError(
            f"Debian's chromium is missing ({CHROMIUM} not found): install it with "
            "`apt-get install chromium` (or `make browser-deps`)."
        )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def new_session(browser: Browser, timeout_ms: float) -> Page:
    """A page in a fresh browser context: own cookies and storage, so its own Streamlit session."""
    context = await browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(timeout_ms)
    return await context.new_page()


async def wait_idle(page: Page, timeout_ms: float) -> None:
    """Until the script run has finished and nothing is still loading."""
    await page.locator(IDLE).wait_for(state="attached", timeout=timeout_ms)
    await page.get_by_test_id("stSkeleton").first.wait_for(state="detached", timeout=timeout_ms)


# ---------------------------------------------------------------- memory and CPU of process trees


@dataclass(frozen=True)
class Proc:
    ppid: int
    cpu_ticks: int  # user + system CPU time so far, in clock ticks
    rss_kib: int  # resident set size, the same counter as VmRSS in /proc/<pid>/status


def _stat_fields(pid: int | str) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses):
    [0] state, [1] ppid, [2] pgrp, [3] session, ... [11] utime, [12] stime, ... [21] rss pages."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        return f.read().rsplit(")", 1)[1].split()


def snapshot() -> dict[int, Proc]:
    """Every process now (one read of /proc/<pid>/stat each); processes that exit meanwhile are skipped."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                f = _stat_fields(entry)
                procs[int(entry)] = Proc(int(f[1]), int(f[11]) + int(f[12]), int(f[21]) * PAGE_SIZE_KIB)
            except (OSError, IndexError, ValueError):
                continue
    return procs


def assign_trees(roots: dict[str, int], procs: dict[int, Proc]) -> dict[str, set[int]]:
    """The processes of each root's tree: the root and its descendants, each process counted in
    the tree of its nearest root (the server, a child of the benchmark, is not in the benchmark's
    tree). By parent links, because chromium and helpers may start their own sessions."""
    owner = {pid: name for name, pid in roots.items() if pid in procs}
    trees: dict[str, set[int]] = {name: set() for name in roots}
    for pid in procs:
        chain, cur = [], pid
        while cur in procs and cur not in owner and len(chain) < 64:
            chain.append(cur)
            cur = procs[cur].ppid
        name = owner.get(cur)
        for member in chain:
            owner[member] = name  # memoised for the rest of this snapshot (None: in no tree)
        if name is not None:
            trees[name].add(pid)
    return trees


def tree_members(root: int, procs: dict[int, Proc] | None = None) -> list[int]:
    """A process and all its descendants, e.g. the server and whatever it started."""
    return sorted(assign_trees({"tree": root}, snapshot() if procs is None else procs)["tree"])


def tree_rss_kib(root: int, procs: dict[int, Proc] | None = None) -> int:
    """Summed RSS of a process tree (pages shared between its processes count once per process)."""
    procs = snapshot() if procs is None else procs
    return sum(procs[pid].rss_kib for pid in tree_members(root, procs))


def status_kib(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process or the line is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 if it is gone)."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idling since boot (first line of /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class Phase:
    """One phase of a run: the memory of the watched process tree and the CPU time of each tree."""

    name: str
    start_kib: int = 0
    peak_kib: int = 0
    end_kib: int = 0
    samples: int = 0
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)  # per group, and "machine" for all cores
    # Cumulative CPU ticks per process at its first and last sighting in the phase, per group, so
    # that processes which exit during the phase (a closed browser context) still count.
    _first: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)
    _last: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)

    def cores(self, group: str) -> float:
        """Average number of cores the group kept busy during the phase."""
        return self.cpu_s.get(group, 0.0) / self.wall_s if self.wall_s else 0.0


@dataclass
class RssSampler:
    """Samples processes every `interval_s` in a daemon thread.

    `memory_root`: the process whose tree's summed RSS is tracked (the server). `cpu_roots`:
    process trees whose CPU time is added up per phase, e.g. {"server": server_pid, "browser":
    os.getpid()} (the benchmark, its Playwright driver and chromium; the server's tree excluded).
    `with sampler.phase("name"):` records that phase's start, peak and end RSS and each group's
    CPU time; the peak counts every sample taken while the phase was open.
    """

    memory_root: int
    cpu_roots: dict[str, int] = field(default_factory=dict)
    interval_s: float = 0.1
    phases: list[Phase] = field(default_factory=list)
    _open: list[Phase] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            procs = snapshot()
            with self._lock:
                for phase in self._open:
                    self._update(phase, procs)

    def _update(self, phase: Phase, procs: dict[int, Proc]) -> int:
        kib = tree_rss_kib(self.memory_root, procs)
        phase.peak_kib = max(phase.peak_kib, kib)
        phase.samples += 1
        for group, members in assign_trees(self.cpu_roots, procs).items():
            first, last = phase._first.setdefault(group, {}), phase._last.setdefault(group, {})
            for pid in members:
                first.setdefault(pid, 0)  # born during the phase: all its CPU time counts
                last[pid] = procs[pid].cpu_ticks
        return kib

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        current = Phase(name)
        procs = snapshot()
        for group, members in assign_trees(self.cpu_roots, procs).items():
            current._first[group] = {pid: procs[pid].cpu_ticks for pid in members}
        current.start_kib = self._update(current, procs)
        busy0, t0 = machine_busy_seconds(), time.monotonic()
        with self._lock:
            self._open.append(current)
            self.phases.append(current)
        try:
            yield current
        finally:
            with self._lock:
                self._open.remove(current)
                current.end_kib = self._update(current, snapshot())
            current.wall_s = time.monotonic() - t0
            current.cpu_s = {
                group: sum(current._last[group][pid] - start for pid, start in current._first[group].items()
                           if pid in current._last[group]) / CLOCK_TICKS
                for group in self.cpu_roots
            }
            current.cpu_s["machine"] = machine_busy_seconds() - busy0
