"""Harrell's concordance (R's coxph definition) against a pair-by-pair count.

The oracle below walks every pair of patients with R's rules (survival 3.x concordancefit,
reverse = TRUE): comparable when the shorter time is an event and the other patient is still
at risk (longer time, or censored at that time), same stratum; R's own values on lung, gehan
and the sample cohort are pinned in tests/test_reference_cox.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma.concordance import concordance


def pair_by_pair(t, e, x, s):
    n = len(t)
    share = np.zeros((n, 3))
    tied_y = tied_xy = 0
    for i in range(n):
        for j in range(n):
            if i == j or s[i] != s[j] or not e[i]:
                continue
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                col = 0 if x[i] > x[j] else 1 if x[i] < x[j] else 2
                share[i, col] += 1
                share[j, col] += 1
            elif t[j] == t[i] and e[j] and j > i:
                tied_y += 1
                tied_xy += x[i] == x[j]
    c, d, tx = share.sum(axis=0) / 2
    npair = c + d + tx
    if npair == 0:
        return None
    somers = (c - d) / npair
    dfbeta = (share[:, 0] - share[:, 1]) / npair - somers / npair * share.sum(axis=1)
    return (c, d, tx, tied_y - tied_xy, tied_xy, (somers + 1) / 2, math.sqrt((dfbeta**2).sum() / 4))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 35), st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 5))
def test_matches_pair_by_pair_count(n, seed, n_strata, n_scores):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 8, n).astype(float)  # many tied times
    e = rng.random(n) < rng.random()
    x = rng.integers(0, n_scores, n) * 0.5  # many tied scores
    s = rng.integers(0, n_strata, n)
    got = concordance(t, e, x, s)
    want = pair_by_pair(t, e, x, s)
    if want is None:
        assert math.isnan(got.concordance) and math.isnan(got.se)
        return
    values = (got.concordant, got.discordant, got.tied_x, got.tied_y, got.tied_xy, got.concordance, got.se)
    assert values == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_hand_worked_example():
    # times 1 (event), 2 (censored), 2 (event), 3 (event); scores 4, 1, 2, 3.
    # Comparable pairs: event at 1 vs 2c, 2, 3: score 4 > 1, 2, 3 -> 3 concordant; event at 2 vs
    # 3 (later): 2 < 3 -> discordant; event at 2 vs the censored 2 (still at risk): 2 > 1 ->
    # concordant. C = 4, D = 1: concordance 0.8.
    res = concordance(np.array([1, 2, 2, 3.0]), np.array([1, 0, 1, 1]), np.array([4, 1, 2, 3.0]))
    assert (res.concordant, res.discordant, res.tied_x) == (4, 1, 0)
    assert res.concordance == pytest.approx(0.8)
