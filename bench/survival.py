"""Kaplan-Meier (with median CI) and 4-group log-rank: sarcoma.survival vs lifelines.

Run: `python -m bench survival`. Synthetic cohorts (seeded): exponential event times in
months (median about 8), independent exponential censoring for about 35% censored, four
groups. Both implementations are timed in the same process; each cell is the best per-call
time over several timeit repeats (fewer at 1M so the whole run stays under two minutes).
"""

from __future__ import annotations

import math
import timeit
from collections.abc import Callable

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from sarcoma.survival import kaplan_meier, logrank_test

SIZES = (72, 1_000, 100_000, 1_000_000)
SEED = 20_240_607
CENSOR_FRACTION = 0.35


def cohort(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, event, group) with exponential times and ~35% independent censoring."""
    rng = np.random.default_rng(seed)
    event_rate = math.log(2) / 8.0  # median 8 months
    # P(C < T) = c / (c + e) for exponential rates: solve for 35% censoring.
    censor_rate = event_rate * CENSOR_FRACTION / (1 - CENSOR_FRACTION)
    t_event = rng.exponential(1 / event_rate, n)
    t_censor = rng.exponential(1 / censor_rate, n)
    time = np.minimum(t_event, t_censor)
    event = (t_event <= t_censor).astype(np.int64)
    group = rng.integers(0, 4, n)
    return time, event, group


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best seconds per call: timeit autorange for the loop count, then `repeats` runs."""
    timer = timeit.Timer(fn)
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeats, number=loops)) / loops


def _ours_km(time, event):
    return lambda: kaplan_meier(time, event)


def _lifelines_km(time, event):
    def run():
        kmf = KaplanMeierFitter().fit(time, event)
        return kmf.median_survival_time_, median_survival_times(kmf.confidence_interval_)

    return run


def _check_agreement(time, event, group) -> None:
    """Make sure both sides compute the same thing before timing them."""
    ours = kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    ci = median_survival_times(kmf.confidence_interval_).to_numpy().ravel()
    assert ours.median == kmf.median_survival_time_
    assert (ours.median_lower, ours.median_upper) == tuple(ci)
    lr = logrank_test(time, event, group)
    ref = multivariate_logrank_test(time, group, event)
    assert math.isclose(lr.statistic, ref.test_statistic, rel_tol=1e-6)


def _fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:10.3f}" if ms < 100 else f"{ms:10.1f}"


def main() -> None:
    print(
        "Kaplan-Meier (+ median and its CI) and 4-group log-rank, best time per call in ms; "
        "ratio = lifelines / ours"
    )
    header = (
        f"{'N':>9} | {'KM ours':>10} {'KM lifelines':>12} {'ratio':>7} | "
        f"{'LR ours':>10} {'LR lifelines':>12} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in SIZES:
        time, event, group = cohort(n)
        _check_agreement(time, event, group)
        ours_rep, ll_rep = (3, 2) if n >= 1_000_000 else (5, 5 if n <= 1_000 else 3)
        km_ours = best_time(_ours_km(time, event), ours_rep)
        km_ll = best_time(_lifelines_km(time, event), ll_rep)
        lr_ours = best_time(lambda t=time, e=event, g=group: logrank_test(t, e, g), ours_rep)
        lr_ll = best_time(
            lambda t=time, e=event, g=group: multivariate_logrank_test(t, g, e), ll_rep
        )
        print(
            f"{n:>9,} | {_fmt_ms(km_ours)} {_fmt_ms(km_ll):>12} {km_ll / km_ours:6.1f}x | "
            f"{_fmt_ms(lr_ours)} {_fmt_ms(lr_ll):>12} {lr_ll / lr_ours:6.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
