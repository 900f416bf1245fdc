"""Dashboard redraw speed: AppTest warm rerun after a filter change, on each page, N = 72 and 10,000.

Baselines measured in the same run: the N = 72 sample cohort (ratio 10k / 72) and the analysis
core alone for the same filter change (ratio app rerun / core), so the cost of Streamlit itself
is visible. Also the KM figure payload (JSON bytes) at each N, which must stay <= 150 KB.
"""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from sarcoma.filters import FilterState, apply_filters
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import survival_by_group
from sarcoma.plots import km_figure
from sarcoma.synthetic import generate_cohort

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ["pages/cohort.py", "pages/survival.py", "pages/subgroups.py", "pages/response.py", "pages/safety.py"]
GOAL_MS = 300
PAYLOAD_GOAL = 150_000


def _dataset(n: int):
    from pages._shared import Dataset

    if n == 72:
        path = ROOT / "sample_data" / "sample_cohort.csv"
        cohort, report = load_cohort(path)
        return Dataset("sample", "sample", cohort, report, True)
    buf = io.BytesIO(generate_cohort(n, seed=7).to_csv(index=False).encode())
    buf.name = f"synthetic_{n}.csv"
    cohort, report = load_cohort(buf)
    return Dataset(buf.name, f"synthetic-{n}", cohort, report, False)


def _selections(cohort) -> list[list[str]]:
    """Distinct histotype selections, so every timed rerun is a new filter state (no memo hit)."""
    levels = cohort["histotype"].value_counts().index.tolist()
    out = [[h] for h in levels[:4]] + [levels[:2], levels[1:3], levels[:3]]
    return out


def time_page(ds, page: str) -> list[float]:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["dataset"] = ds
    at.run()
    at.switch_page(page)
    at.run()
    if page == "pages/survival.py":
        at.selectbox(key="surv_group").set_value("line_2").run()
    assert not at.exception, [e.value for e in at.exception]
    times = []
    for sel in _selections(ds.cohort):
        widget = at.sidebar.multiselect(key="histotype")
        widget.set_value(sel)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, [e.value for e in at.exception]
    return times[1:]  # the first change also warms per-page imports


def time_core(ds) -> list[float]:
    times = []
    for sel in _selections(ds.cohort):
        t0 = time.perf_counter()
        sub = apply_filters(ds.cohort, FilterState(histotypes=tuple(sel))).subset
        survival_by_group(sub, "PFS", "line_2")
        times.append(time.perf_counter() - t0)
    return times[1:]


def payload(ds) -> int:
    res = survival_by_group(ds.cohort, "OS", "histotype")
    fig = km_figure(res.curves, at_risk=res.at_risk, annotation=res.test_label(), show_ci=True)
    return len(fig.to_json())


def main() -> None:
    rows = {}
    for n in (72, 10_000):
        ds = _dataset(n)
        core = statistics.median(time_core(ds)) * 1000
        print(f"N = {n:>6}: KM figure payload {payload(ds) / 1000:.1f} KB (goal <= {PAYLOAD_GOAL / 1000:.0f} KB); "
              f"core filter + survival by line {core:.1f} ms", flush=True)
        for page in PAGES:
            ms = statistics.median(time_page(ds, page)) * 1000
            rows[(n, page)] = ms
            print(f"  {page:<22} warm rerun after filter change: {ms:7.1f} ms (x{ms / core:.1f} the core survival computation)", flush=True)
    print("\nRatio N=10,000 / N=72 per page, and goal check (<= 300 ms at 10k):")
    for page in PAGES:
        big, small = rows[(10_000, page)], rows[(72, page)]
        print(f"  {page:<22} {small:7.1f} ms -> {big:7.1f} ms  ratio {big / small:4.1f}  {'OK' if big <= GOAL_MS else 'ABOVE GOAL'}")


if __name__ == "__main__":
    main()
