"""The load benchmark's own logic (bench/load.py, bench/_browser.py): its filter plan, the server
memory sampler and the summary statistics. No timing is asserted: speed is what the benchmark
prints. Marked browser and slow with the browser tests: the modules import Playwright, and the
sampler test starts processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench._browser import (
    Proc,
    RssSampler,
    assign_trees,
    cpu_seconds,
    status_kib,
    tree_members,
    tree_rss_kib,
)
from bench.load import Cohort, filter_plan, log_problems, percentiles

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEVELS = ["Other", "UPS", "LMS", "LPS", "Angiosarcoma", "Kaposi sarcoma"]


# ---------------------------------------------------------------- the filter plan


def test_plan_adds_the_next_value_then_removes_the_previous():
    plan = filter_plan(LEVELS, 4, 6)
    assert [(c.action, c.value, c.selection) for c in plan] == [
        ("add", "Angiosarcoma", ("Angiosarcoma",)),
        ("add", "Kaposi sarcoma", ("Angiosarcoma", "Kaposi sarcoma")),
        ("remove", "Angiosarcoma", ("Kaposi sarcoma",)),
        ("add", "Other", ("Kaposi sarcoma", "Other")),  # wraps round to the first level
        ("remove", "Kaposi sarcoma", ("Other",)),
        ("add", "UPS", ("Other", "UPS")),
    ]


@given(
    levels=st.lists(st.text(min_size=1, max_size=5), min_size=3, max_size=9, unique=True),
    start=st.integers(0, 30),
    extra=st.integers(0, 40),
)
def test_plan_changes_one_value_at_a_time_and_repeats_no_state_early(levels, start, extra):
    count = 2 * len(levels) + extra
    plan = filter_plan(levels, start, count)
    assert len(plan) == count
    before: set[str] = set()
    for change in plan:
        after = set(change.selection)
        assert len(after) == len(change.selection) in (1, 2)  # never empty, never a duplicate
        if change.action == "add":
            assert change.value not in before and after == before | {change.value}
        else:
            assert change.action == "remove" and change.value in before and after == before - {change.value}
        before = after
    # Every state of the first 2 x len(levels) changes is new, so none comes from the app's memo.
    first = [frozenset(c.selection) for c in plan[: 2 * len(levels)]]
    assert len(set(first)) == len(first)


def test_plan_refuses_too_few_levels():
    with pytest.raises(ValueError, match="three levels"):
        filter_plan(["A", "B"], 0, 4)


def test_cohort_levels_and_expected_counts():
    cohort = Cohort("c", {"A": 5, "B": 9, "C": 5, "D": 1, "E": 2, "F": 7, "G": 3}, 32)
    # Commonest first, ties by name; the rarest is left out (six levels).
    assert cohort.levels == ["B", "F", "A", "C", "G", "E"]
    assert cohort.expected_n(("B", "D")) == 10


# ---------------------------------------------------------------- statistics and the log


def test_percentiles_interpolate_between_order_statistics():
    # By hand: p50 of 1..10 is the mean of 5 and 6; p95 sits at rank 0.95 x 9 = 8.55 (0-based),
    # i.e. 55% of the way from 9 to 10.
    p50, p95, top = percentiles([float(x) for x in range(10, 0, -1)])
    assert (p50, top) == (5.5, 10.0)
    assert p95 == pytest.approx(9.55, abs=1e-12)
    assert all(np.isnan(v) for v in percentiles([]))


def test_log_problems_keeps_errors_and_warnings_only():
    log = textwrap.dedent("""\
        You can now view your Streamlit app in your browser.
        2025-01-01 12:00:00.000 Uncaught app execution
        Traceback (most recent call last):
        ValueError: min_value == max_value
        2025-01-01 12:00:01.000 WARNING streamlit.runtime: something
    """)
    assert log_problems(log) == [
        "Traceback (most recent call last):",
        "ValueError: min_value == max_value",
        "2025-01-01 12:00:01.000 WARNING streamlit.runtime: something",
    ]


# ---------------------------------------------------------------- the memory sampler


def test_trees_go_to_the_nearest_root():
    # 1 init -> 10 benchmark -> {11 playwright driver -> 12 chromium (own session) -> 13 renderer,
    #                            20 server -> 21 kaleido}; 30 someone else's process.
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 13: 12, 20: 10, 21: 20, 30: 1}
    procs = {pid: Proc(ppid, cpu_ticks=0, rss_kib=pid) for pid, ppid in parents.items()}
    trees = assign_trees({"server": 20, "browser": 10}, procs)
    assert trees == {"server": {20, 21}, "browser": {10, 11, 12, 13}}
    assert tree_rss_kib(20, procs) == 41
    assert assign_trees({"gone": 99}, procs) == {"gone": set()}


MIB = 1024
HOLD_MIB = 120
# A session leader that holds 120 MiB and starts a child holding another 120 MiB, as the
# Streamlit server holds data and may start helpers (kaleido's chromium).
HOLDER = textwrap.dedent(f"""
    import subprocess, sys, time
    block = bytearray({HOLD_MIB} * 1024 * 1024)
    code = "import time; b = bytearray({HOLD_MIB} * 1024 * 1024); print('ready', flush=True); time.sleep(120)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child.stdout.readline()
    print(child.pid, flush=True)
    time.sleep(120)
""")


@pytest.fixture
def holder():
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        child = int(proc.stdout.readline())
        yield proc.pid, child
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_tree_rss_sums_the_server_and_its_children(holder):
    leader, child = holder
    assert set(tree_members(leader)) == {leader, child}
    each = [status_kib(pid, "VmRSS") for pid in (leader, child)]
    # bytearray() zero-fills, so each process has its 120 MiB resident.
    assert all(kib >= HOLD_MIB * MIB for kib in each), each
    # The two processes' RSS only move by a few pages between reads.
    assert tree_rss_kib(leader) == pytest.approx(sum(each), abs=4 * MIB)
    assert status_kib(leader, "VmHWM") >= HOLD_MIB * MIB


def test_sampler_reports_each_phase_peak(holder):
    leader, _ = holder
    with RssSampler(leader, {"held": leader}, interval_s=0.05) as sampler, sampler.phase("held") as phase:
        time.sleep(0.4)
    assert sampler.phases == [phase]
    assert phase.samples >= 3
    assert phase.peak_kib >= 2 * HOLD_MIB * MIB
    assert phase.start_kib <= phase.peak_kib and phase.end_kib <= phase.peak_kib
    assert phase.wall_s >= 0.4
    # Two processes that only sleep: next to no CPU time.
    assert 0 <= phase.cpu_s["held"] < 0.2 and phase.cpu_s["machine"] >= 0


BURN_S = 0.5
# A session leader that starts a child which spends BURN_S of CPU time and exits, as a closed
# browser context's renderer does before the phase ends.
BURNER = textwrap.dedent(f"""
    import subprocess, sys, time
    code = "import time\\nwhile time.process_time() < {BURN_S}: pass"
    input()
    subprocess.run([sys.executable, "-c", code], check=True)
    print("done", flush=True)
    time.sleep(120)
""")


def test_sampler_counts_cpu_of_processes_that_exit_during_the_phase():
    proc = subprocess.Popen(
        [sys.executable, "-c", BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        with RssSampler(proc.pid, {"burner": proc.pid}, interval_s=0.02) as sampler, sampler.phase("burn") as phase:
            proc.stdin.write("go\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "done"
        assert tree_members(proc.pid) == [proc.pid]  # the burner has exited
        # Its CPU time counts up to the last sample before it exited (20 ms apart, more if the
        # sampler thread is starved), plus the interpreter's start-up: about 0.55 s on a quiet
        # machine. Counting only processes alive at the end would give the sleeping leader's ~0.
        assert BURN_S / 2 <= phase.cpu_s["burner"] <= BURN_S + 1.0, phase.cpu_s
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_exited_processes_read_as_nothing(holder):
    leader, child = holder
    os.kill(child, signal.SIGKILL)
    # Its sleeping parent does not reap it: a zombie keeps its /proc entry but has no memory.
    deadline = time.monotonic() + 10
    while _state(child) != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(child) == "Z"
    assert status_kib(child, "VmRSS") == 0
    assert tree_rss_kib(leader) == pytest.approx(status_kib(leader, "VmRSS"), abs=4 * MIB)
    gone = max(int(p) for p in os.listdir("/proc") if p.isdigit()) + 10_000
    assert status_kib(gone, "VmRSS") == 0 and cpu_seconds(gone) == 0.0
    assert tree_members(gone) == []


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().rsplit(")", 1)[1].split()[0]
