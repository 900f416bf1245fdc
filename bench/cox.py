"""Cox model with its PH test and concordance: sarcoma (R's coxph/cox.zph) vs lifelines.

Run: `python -m bench cox`. Synthetic cohorts (seeded): exponential PFS in whole tenths of a
month (ties), ~35% censored, a binary covariate (line >= 3) and age. "ours" = fit +
Grambsch-Therneau test (km transform) + concordance with its se, i.e. what `fit_cox` adds to
a page; "lifelines" = CoxPHFitter.fit (its concordance included) + proportional_hazard_test
(rank transform). Coefficients are checked to agree before timing (lifelines run to the
maximum with full steps).
"""

from __future__ import annotations

import timeit

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

from sarcoma.concordance import concordance
from sarcoma.coxfit import fit_coxph
from sarcoma.coxzph import cox_zph

SIZES = (72, 1_000, 10_000, 100_000)
SEED = 20_240_607
LIFELINES_AT_MLE = {"step_size": 1.0, "precision": 1e-20, "r_precision": 1e-15}


def cohort(n: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    line3 = rng.integers(0, 2, n).astype(float)
    age = rng.normal(55, 12, n).round()
    t = rng.exponential(8 * np.exp(-0.5 * line3 + 0.01 * (age - 55)))
    c = rng.exponential(8 / 0.54, n)
    return pd.DataFrame({"T": np.round(np.minimum(t, c), 1) + 0.1, "E": (t <= c).astype(int), "line3": line3, "age": age})


def ours(d: pd.DataFrame):
    fit = fit_coxph(d["T"], d["E"], d[["line3", "age"]].to_numpy())
    zph = cox_zph(fit, None, "km")
    conc = concordance(fit.time, fit.event, fit.linear_predictor)
    return fit, zph, conc


def theirs(d: pd.DataFrame):
    cph = CoxPHFitter().fit(d, "T", "E", fit_options=LIFELINES_AT_MLE)
    return cph, proportional_hazard_test(cph, d, time_transform="rank")


def best(fn, repeats: int) -> float:
    timer = timeit.Timer(fn)
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeats, number=loops)) / loops


def main() -> None:
    print("Cox fit + PH test + concordance, best time per call in ms; ratio = lifelines / ours")
    header = f"{'N':>9} | {'ours':>10} {'lifelines':>10} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for n in SIZES:
        d = cohort(n)
        fit, _, _ = ours(d)
        cph, _ = theirs(d)
        assert np.allclose(fit.coef, cph.params_.to_numpy(), rtol=1e-8), (fit.coef, cph.params_)
        reps = 3 if n >= 10_000 else 5
        a = best(lambda d=d: ours(d), reps)
        b = best(lambda d=d: theirs(d), 1 if n >= 100_000 else reps)
        print(f"{n:>9,} | {a * 1e3:10.1f} {b * 1e3:10.1f} {b / a:6.1f}x", flush=True)


if __name__ == "__main__":
    main()
