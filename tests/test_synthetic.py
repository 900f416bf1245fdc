"""The benchmark generator `generate_cohort` and the `python -m sarcoma.synthetic` command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma import schema
from sarcoma.synthetic import GENERATOR_CENTRES, SyntheticCohortError, generate_cohort, main

BOOL_COLUMNS = [c.name for c in schema.COLUMNS if c.kind == "bool"]
PRIOR_CLASSES = ["prior_anthracycline", "prior_gemcitabine", "prior_trabectedin", "prior_tki", "prior_other"]


def check_invariants(df: pd.DataFrame, n: int) -> None:
    """Everything a generated cohort must satisfy, whatever n and seed."""
    assert list(df.columns) == list(schema.COLUMN_NAMES)
    assert len(df) == n
    assert df["patient_id"].is_unique
    assert df["patient_id"].str.match(r"^SYN-\d{3,}$").all()
    assert set(df["center"]) <= set(GENERATOR_CENTRES)

    # Controlled vocabularies (missing allowed only where the schema column is optional).
    for col in schema.COLUMNS:
        if col.allowed:
            present = df[col.name].dropna()
            assert set(present) <= set(col.allowed), col.name
    for name in ("histotype", "regimen", "regimen_class", "sex", "disease_stage", "primary_site"):
        assert df[name].notna().all(), name
    for name in BOOL_COLUMNS:
        assert df[name].dtype == bool, name

    # Survival: events 0/1, PFS <= OS, death is a PFS event, times match the dates.
    for e in ("pfs_event", "os_event"):
        assert set(np.unique(df[e])) <= {0, 1}
    assert (df["pfs_months"] > 0).all()
    assert (df["pfs_months"] <= df["os_months"]).all()
    assert (df["pfs_event"] >= df["os_event"]).all()
    days_os = (df["last_follow_up"] - df["treatment_start"]).dt.days
    np.testing.assert_allclose(df["os_months"], days_os / schema.DAYS_PER_MONTH)
    pfs_end = df["progression_date"].fillna(df["death_date"]).fillna(df["last_follow_up"])
    np.testing.assert_allclose(df["pfs_months"], (pfs_end - df["treatment_start"]).dt.days / schema.DAYS_PER_MONTH)
    assert (df["os_event"] == df["death_date"].notna()).all()
    assert (df["pfs_event"] == (df["progression_date"].notna() | df["death_date"].notna())).all()
    assert (df["progression_date"].dropna() <= df.loc[df["progression_date"].notna(), "last_follow_up"]).all()

    # Response dates: exactly the CR/PR patients have one, after start and no later than the end
    # of PFS (progression, death or censoring), so ingest finds nothing to report about them.
    responder = df["best_response"].isin(["CR", "PR"])
    assert (df["response_date"].notna() == responder).all()
    assert df["response_date"].dtype == "datetime64[ns]"
    resp = df.loc[responder, "response_date"]
    assert (resp > df.loc[responder, "treatment_start"]).all()
    assert (resp <= pfs_end[responder]).all()

    # Treatment end: blank exactly while on treatment; otherwise between start and the last
    # contact, at death for a death without progression, at or before the progression scan.
    on = df["on_treatment"]
    end = df["treatment_end"]
    assert end.dtype == "datetime64[ns]" and (end.isna() == on).all()
    assert (end[~on] > df.loc[~on, "treatment_start"]).all() and (end[~on] <= df.loc[~on, "last_follow_up"]).all()
    died_on = df["discontinuation_reason"] == "Death"
    assert (end[died_on] == df.loc[died_on, "death_date"]).all()
    prog = df["discontinuation_reason"] == "Progression"
    assert (end[prog] <= df.loc[prog, "progression_date"]).all()

    # RECIST 1.1: CR -100 %, PR at least 30 % shrinkage, PD at least 20 % growth, SD in between.
    br, pct = df["best_response"], df["best_pct_change"]
    assert (pct[br == "CR"] == -100).all()
    assert ((pct[br == "PR"] <= -30) & (pct[br == "PR"] > -100)).all()
    assert ((pct[br == "SD"] > -30) & (pct[br == "SD"] < 20)).all()
    assert (pct[br == "PD"] >= 20).all()
    assert pct[br == "NE"].isna().all()

    # Treatment history and metastases.
    assert (df["line_of_therapy"] == df["prior_lines"] + 1).all()
    assert (df[PRIOR_CLASSES].sum(axis=1) <= df["prior_lines"]).all()
    assert (df.loc[df["prior_lines"] > 0, PRIOR_CLASSES].sum(axis=1) >= 1).all()
    assert (~df["periop_chemo"] | df["primary_surgery"]).all()
    local = df["disease_stage"] == "Locally advanced"
    assert (df.loc[local, "n_met_sites"] == 0).all()
    assert not df.loc[local, ["met_lung", "met_liver", "met_other"]].any().any()
    flags = df.loc[~local, ["met_lung", "met_liver", "met_other"]].sum(axis=1)
    assert (flags >= 1).all() and (df.loc[~local, "n_met_sites"] >= flags).all()

    # Treatment status and adverse events agree with each other.
    on = df["on_treatment"]
    assert df.loc[on, "discontinuation_reason"].isna().all()
    assert df.loc[~on, "discontinuation_reason"].notna().all()
    assert (df.loc[on, "pfs_event"] == 0).all()
    assert (df["any_ae"] == (df["max_ae_grade"] > 0)).all()
    assert df["max_ae_grade"].between(0, 5).all()
    assert (~df["ae_delay"] | df["any_ae"]).all()
    assert (~df["ae_discontinuation"] | df["any_ae"]).all()
    assert (df["ae_discontinuation"] == (df["discontinuation_reason"] == "Toxicity")).all()
    assert df["tmb"].dropna().ge(0).all()


def test_same_seed_same_cohort_and_different_seed_differs():
    a = generate_cohort(400, seed=7)
    pd.testing.assert_frame_equal(a, generate_cohort(400, seed=7))
    b = generate_cohort(400, seed=8)
    assert not a["pfs_months"].equals(b["pfs_months"])


def test_default_seed_is_zero():
    pd.testing.assert_frame_equal(generate_cohort(50), generate_cohort(50, seed=0))


@settings(max_examples=50, deadline=None)
@given(n=st.integers(min_value=1, max_value=400), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_invariants_hold_for_any_size_and_seed(n, seed):
    check_invariants(generate_cohort(n, seed), n)


def test_large_cohort_mix_follows_the_seed_proportions():
    # Expected proportions are the seed paper's Table 1 and Table 4 counts out of 72; with 40,000
    # patients the sampling SD of a proportion is at most 0.0025, so 0.015 is > 5 SD.
    df = generate_cohort(40_000, seed=11)
    check_invariants(df, 40_000)
    hist = df["histotype"].value_counts(normalize=True)
    table1 = {"UPS": 12, "LMS": 12, "LPS": 10, "Angiosarcoma": 7, "Kaposi sarcoma": 4,
              "Undifferentiated sarcoma": 3, "ASPS": 3, "Myxofibrosarcoma": 3, "Other": 18}
    for h, k in table1.items():
        assert hist[h] == pytest.approx(k / 72, abs=0.015), h
    classes = df["regimen_class"].value_counts(normalize=True)
    for c, k in {"ICI monotherapy": 43, "ICI + TKI": 21, "Double ICI": 5, "ICI + chemotherapy": 3}.items():
        assert classes[c] == pytest.approx(k / 72, abs=0.015), c
    assert (df["sex"] == "Male").mean() == pytest.approx(44 / 72, abs=0.015)
    assert (df["disease_stage"] == "Metastatic").mean() == pytest.approx(63 / 72, abs=0.015)
    assert (df["prior_lines"] <= 1).mean() == pytest.approx(28 / 72, abs=0.015)
    assert df["center"].nunique() == 20
    # Realistic, not fitted: events are common but not universal, responders exist.
    assert 0.5 < df["pfs_event"].mean() < 0.95
    assert 0.3 < df["os_event"].mean() < 0.8
    assert 0.2 < df["best_response"].isin(["CR", "PR"]).mean() < 0.4
    # Time to response: most responses at the first or second scan (model median 2.5 months,
    # pulled a little earlier by responders whose PFS ends sooner).
    to_response = (df["response_date"] - df["treatment_start"]).dt.days / schema.DAYS_PER_MONTH
    assert 2.0 < to_response.median() < 2.8
    assert (to_response.dropna() <= 6).mean() > 0.9


def test_one_patient_and_id_width():
    one = generate_cohort(1, seed=3)
    check_invariants(one, 1)
    assert one["patient_id"].iat[0] == "SYN-001"
    assert generate_cohort(12_345, seed=0)["patient_id"].iat[-1] == "SYN-12345"


@pytest.mark.parametrize("n", [0, -5, 2.5, "100", None, True])
def test_bad_size_is_a_clear_error(n):
    with pytest.raises(SyntheticCohortError, match="number of patients"):
        generate_cohort(n)  # type: ignore[arg-type]
    assert issubclass(SyntheticCohortError, ValueError)


@pytest.mark.parametrize("seed", [-1, 1.5, "1"])
def test_bad_seed_is_a_clear_error(seed):
    with pytest.raises(SyntheticCohortError, match="seed"):
        generate_cohort(10, seed=seed)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted():
    pd.testing.assert_frame_equal(generate_cohort(np.int64(20), np.int32(4)), generate_cohort(20, 4))


def test_cli_writes_a_cohort_the_ingest_module_reads_without_loss(tmp_path, capsys):
    from sarcoma.ingest import load_cohort

    out = tmp_path / "cohort.csv"
    assert main(["--n", "300", "--seed", "5", "--out", str(out)]) == 0
    assert "300 patients" in capsys.readouterr().out
    raw = pd.read_csv(out)
    assert list(raw.columns) == list(schema.COLUMN_NAMES) and len(raw) == 300
    cohort, report = load_cohort(out)
    assert report.rows_read == 300
    expected = generate_cohort(300, 5)
    # Only the NE patients leave an analysis (the response one); nothing else is flagged. DoR
    # applies to the responders only (the others counted, not listed); every TTF is usable.
    n_ne = int((expected["best_response"] == "NE").sum())
    n_other = int((~expected["best_response"].isin(["CR", "PR"])).sum())
    assert report.excluded == {"PFS": 0, "OS": 0, "Response": n_ne, "DoR": n_other, "TTF": 0}
    assert set(report.issues["problem_kind"]) <= {"not evaluable (NE)"}
    assert report.invariant_problems() == []
    pd.testing.assert_series_equal(cohort["treatment_end"], expected["treatment_end"])
    np.testing.assert_allclose(cohort["os_months"].astype(float), expected["os_months"], atol=1e-9)
    assert (cohort["best_response"].astype(object).to_numpy() == expected["best_response"].to_numpy()).all()
    pd.testing.assert_series_equal(cohort["response_date"], expected["response_date"])


def test_cli_without_arguments_explains_what_to_give(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "--n and --out" in capsys.readouterr().err


def test_cli_rejects_a_bad_size_with_the_plain_message(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--n", "0", "--out", str(tmp_path / "x.csv")])
    assert "number of patients must be between 1" in capsys.readouterr().err


# --------------------------------------------------------------------------- the seeded search


def test_search_fast_path_agrees_with_lifelines_on_the_sample_cohort():
    # The search scores candidates with sarcoma.survival (fast); lifelines is the oracle.
    from sarcoma.synthetic_search import _FastSummary, survival_summary
    from sarcoma.synthetic_seed import build_seed_cohort

    patients, _ = build_seed_cohort()
    medians, pvals = survival_summary(patients)
    fast_medians, fast_pvals, ambiguous = _FastSummary(patients)(patients)
    assert ambiguous == set()  # no KM curve of the sample touches exactly 0.5
    assert fast_medians == pytest.approx(medians, rel=1e-12)
    assert fast_pvals == pytest.approx(pvals, rel=1e-8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_fast_path_agrees_with_lifelines_on_generated_cohorts(seed):
    from sarcoma.synthetic_search import _FastSummary, survival_summary

    df = generate_cohort(150, seed)
    medians, pvals = survival_summary(df)
    fast_medians, fast_pvals, ambiguous = _FastSummary(df)(df)
    for name, value in medians.items():
        if name not in ambiguous:  # where S(t) = 0.5 exactly, lifelines and R differ by design
            assert fast_medians[name] == pytest.approx(value, rel=1e-12), name
    assert fast_pvals == pytest.approx(pvals, rel=1e-8)


def test_search_loss_of_the_frozen_sample_and_determinism():
    from sarcoma.synthetic_search import _State, loss, survival_summary
    from sarcoma.synthetic_seed import SEED, build_seed_cohort

    # The frozen draws are what the search returned: their loss (lifelines) is small.
    assert loss(*survival_summary(build_seed_cohort()[0])) < 1.0
    # One sweep of the coordinate search is deterministic and never makes things worse.
    a, b = _State(SEED), _State(SEED)
    start = a.loss
    a.sweeps(1, new_draws=1)
    b.sweeps(1, new_draws=1)
    assert a.best == b.best and a.best[0] <= start
