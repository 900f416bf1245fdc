"""The methods paragraph: every option changes the text as it should, and the report's paragraph
describes what the report computed (n of N, number of tests, versions)."""

import importlib.metadata
import itertools
import platform

import lifelines
import numpy as np
import pandas as pd
import pytest
import scipy

from sarcoma.filters import FilterState, apply_filters
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.report.collect import ReportOptions, collect_report
from sarcoma.report.methods import (
    MethodsOptionError,
    MethodsOptions,
    methods_paragraph,
    software_versions,
)
from sarcoma.subgroups import ADJUSTMENTS, subgroup_table
from sarcoma.synthetic_seed import build_seed_cohort
from sarcoma.views.response import ResponseOptions
from sarcoma.views.subgroups import SubgroupOptions
from sarcoma.views.survival import SurvivalOptions

VERSIONS = {"Python": "3.11.9", "sarcoma-ici-explorer": "9.9.9", "numpy": "1.0", "scipy": "2.0", "pandas": "3.0", "lifelines": "4.0"}


def text(**kw) -> str:
    kw.setdefault("versions", VERSIONS)
    return methods_paragraph(MethodsOptions(**kw))


def test_default_paragraph_names_every_method():
    t = text(n=72, n_total=72, grouping_label="Line of therapy", n_tests=30, response_by_label="Histotype")
    for phrase in (
        "All 72 patients", "Kaplan-Meier method", "Greenwood", "log-log transformation", "Brookmeyer-Crowley",
        "reverse Kaplan-Meier", "log-rank (Mantel-Cox)", "30 tests", "Holm", "RECIST 1.1", "Clopper-Pearson",
        "evaluable patients", "chi-square", "Fisher-Freeman-Halton", "two-sided", "0.05",
        "sarcoma-ici-explorer 9.9.9", "Python 3.11.9", "numpy 1.0", "scipy 2.0", "pandas 3.0", "lifelines 4.0",
    ):
        assert phrase in t, phrase


def test_versions_are_the_installed_ones():
    # Independent sources: each package's own __version__ and the interpreter.
    v = software_versions()
    assert v["numpy"] == np.__version__ and v["scipy"] == scipy.__version__
    assert v["pandas"] == pd.__version__ and v["lifelines"] == lifelines.__version__
    assert v["Python"] == platform.python_version()
    assert v["sarcoma-ici-explorer"] == importlib.metadata.version("sarcoma-ici-explorer")
    assert f"numpy {np.__version__}" in methods_paragraph(MethodsOptions())


CI_WORDS = {
    "log-log": ["log-log transformation", "Brookmeyer-Crowley"],
    "log": ["the log transformation", "Brookmeyer-Crowley"],
    "plain": ["no transformation", "Brookmeyer-Crowley"],
    "spss": ["Collett", "SPSS", "median ± 1.96"],
}


@pytest.mark.parametrize("conf_type", list(CONF_TYPES))
def test_ci_method(conf_type):
    t = text(conf_type=conf_type)
    for phrase in CI_WORDS[conf_type]:
        assert phrase in t
    others = {p for k, ps in CI_WORDS.items() if k != conf_type for p in ps} - set(CI_WORDS[conf_type])
    assert not any(p in t for p in others if p != "Brookmeyer-Crowley" or conf_type == "spss")


TEST_WORDS = {
    "logrank": "log-rank (Mantel-Cox)",
    "breslow": "Breslow (generalised Wilcoxon)",
    "tarone-ware": "Tarone-Ware",
    "peto": "Peto-Peto",
    "fh-rho1": "Fleming-Harrington test with rho = 1",
    "trend": "log-rank test for trend",
}


@pytest.mark.parametrize("test", list(TESTS))
def test_survival_test_and_its_weighting(test):
    t = text(grouping_label="Line of therapy", test=test)
    assert f"compared by Line of therapy with the {TEST_WORDS[test]}" in t
    assert not any(w in t for k, w in TEST_WORDS.items() if k != test)
    if test == "breslow":
        assert "weights each event time by the number of patients at risk" in t
    if test == "tarone-ware":
        assert "square root" in t
    if test == "peto":
        assert "SAS LIFETEST" in t
    if test == "fh-rho1":
        assert "survdiff(rho = 1)" in t


def test_no_grouping_no_test_sentence():
    t = text(grouping_label=None)
    assert not any(w in t for w in TEST_WORDS.values())
    assert "flagged" not in t


def test_stratification_by_centre():
    assert "stratified by treating centre" in text(grouping_label="Histotype", stratified=True)
    assert "stratified" not in text(grouping_label="Histotype", stratified=False)


@pytest.mark.parametrize(("adjust", "phrase"), [("holm", "Holm's step-down method over all 12 tests"), ("bh", "Benjamini-Hochberg procedure (false discovery rate) over all 12 tests"), ("none", "not adjusted for multiplicity")])
def test_multiplicity_adjustment(adjust, phrase):
    t = text(n_tests=12, adjust=adjust)
    assert phrase in t and "(12 tests in total)" in t
    assert sum(name in t for name in ("Holm", "Benjamini-Hochberg", "not adjusted")) == 1


def test_no_subgroup_table_no_multiplicity_sentence():
    t = text(n_tests=0)
    assert "subgroup" not in t and "Holm" not in t


def test_subgroup_ci_mentioned_only_when_it_differs():
    assert "In the subgroup table" not in text(n_tests=4, conf_type="log-log", subgroup_conf_type="log-log")
    t = text(n_tests=4, conf_type="log-log", subgroup_conf_type="spss")
    assert "In the subgroup table, the 95% confidence interval (CI) of the median" in t and "Collett" in t


@pytest.mark.parametrize(("den", "phrase", "absent"), [("evaluable", "over the evaluable patients", "all treated patients"), ("all", "over all treated patients", "the evaluable patients")])
def test_response_denominator(den, phrase, absent):
    t = text(response_denominator=den)
    assert phrase in t and absent not in t and "Clopper-Pearson" in t


def test_no_response_analysis():
    t = text(response_denominator=None, response_by_label="Histotype")
    assert "ORR" not in t and "Clopper-Pearson" not in t and "Fisher" not in t


def test_association_outcome_and_monte_carlo():
    a = text(response_by_label="Histotype", response_outcome="responder")
    b = text(response_by_label="Histotype", response_outcome="best_response")
    assert "objective response (CR/PR vs other)" in a and "best response category (CR, PR, SD, PD)" in b
    assert "Monte-Carlo" not in a
    assert "from 100,000 Monte-Carlo tables" in text(response_by_label="Histotype", association_monte_carlo=100_000)
    assert "association" not in text(response_by_label=None).lower()


def test_population_and_filters():
    t = text(n=30, n_total=72, filters=("Histotype: UPS, LMS (42 removed)",))
    assert "included 30 of the 72 patients in the dataset, selected by Histotype: UPS, LMS (42 removed)." in t
    assert "All 72 patients in the dataset were included" in text(n=72, n_total=72)
    assert "patients in the dataset" not in text()


def test_table1_comparison_tests():
    assert "Mann-Whitney U" in text(table1_by_label="Sex") and "between Sex groups" in text(table1_by_label="Sex")
    assert "Mann-Whitney" not in text(table1_by_label=None)


def test_alpha_changes_level_and_z():
    t = text(alpha=0.10, conf_type="spss")
    # z for a 90% interval: scipy.stats.norm.ppf(0.95) = 1.6449 -> "1.64"
    assert "90% confidence interval" in t and "± 1.64" in t and "significance level of 0.1" in t


def test_single_endpoint_grammar():
    t = text(endpoints=("OS",), grouping_label="Sex")
    assert "OS was estimated" in t and "OS was compared by Sex" in t
    assert "Progression-free" not in t and "PFS" not in t


def test_every_single_option_change_changes_the_text():
    base = dict(n=30, n_total=72, grouping_label="Line", n_tests=10, response_by_label="Histotype")
    changes = [
        {"conf_type": c} for c in CONF_TYPES if c != "log-log"
    ] + [{"test": t} for t in TESTS if t != "logrank"] + [
        {"adjust": a} for a in ADJUSTMENTS if a != "holm"
    ] + [{"stratified": True}, {"response_denominator": "all"}, {"response_outcome": "best_response"},
         {"n_tests": 11}, {"n": 31}, {"filters": ("Sex: Female (40 removed)",)}, {"min_group_size": 10},
         {"table1_by_label": "Sex"}, {"association_monte_carlo": 1000}, {"endpoints": ("PFS",)}, {"rate_times": (12.0,)}]
    texts = [text(**base)] + [text(**{**base, **c}) for c in changes]
    for (i, a), (j, b) in itertools.combinations(enumerate(texts), 2):
        assert a != b, (changes[i - 1] if i else "base", changes[j - 1])


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"test": "wilcoxon"}, "survival test"), ({"conf_type": "arcsine"}, "confidence-interval"), ({"adjust": "bonferroni"}, "multiplicity"),
     ({"response_denominator": "responders"}, "denominator"), ({"alpha": 5}, "between 0 and 1"), ({"n": 80, "n_total": 72}, "cannot exceed"),
     ({"endpoints": ("DFS",)}, "endpoint"), ({"n_tests": -1}, "negative")],
)
def test_invalid_options_are_plain_errors(kw, match):
    with pytest.raises(MethodsOptionError, match=match):
        MethodsOptions(**kw)
    assert issubclass(MethodsOptionError, ValueError)


def test_report_paragraph_matches_what_the_report_computed():
    cohort, _ = build_seed_cohort()
    result = apply_filters(cohort, FilterState(histotypes=("UPS", "LMS", "LPS", "Other")))
    options = ReportOptions(
        survival=SurvivalOptions(grouping="line_2", test="breslow", conf_type="spss", stratify=True),
        subgroups=SubgroupOptions(adjust="bh"), response=ResponseOptions(denominator="all"),
    )
    sections, _ = collect_report(result, options)
    methods = next(s.text for s in sections if s.key == "methods")
    # Independent count of the family of tests: the subgroup table on the same subset.
    n_tests = subgroup_table(result.subset, conf_type="log-log", test="logrank", adjust="bh").n_tests
    assert f"({n_tests} tests in total)" in methods and "Benjamini-Hochberg" in methods
    assert f"included {result.n} of the {result.n_total} patients" in methods
    assert all(line in methods for line in result.describe())
    assert "Breslow" in methods and "Collett" in methods and "over all treated patients" in methods
    assert "stratified by treating centre" in methods
    assert "compared by Line of therapy (1-2 vs ≥3)" in methods
