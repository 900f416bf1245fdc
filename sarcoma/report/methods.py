"""The statistics paragraph of a manuscript, written from the options that produced the view.

Every sentence is driven by an option (pinned by tests/test_report_methods.py): change the test,
the CI method, the adjustment or the denominator and the paragraph says so. The wording follows
the seed paper's "Statistical analysis methods" section and names each method as a reader
would look it up (Greenwood, Brookmeyer-Crowley, Collett, Clopper-Pearson, Fisher-Freeman-Halton).
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field

from scipy import stats

from sarcoma.endpoints import DISTRIBUTIONS, ENDPOINTS
from sarcoma.errors import SarcomaError
from sarcoma.km_summary import CONF_TYPES, TESTS
from sarcoma.subgroups import ADJUSTMENTS

TOOL_DISTRIBUTION = "sarcoma-ici-explorer"
LIBRARIES: tuple[str, ...] = ("numpy", "scipy", "pandas", "lifelines")
DENOMINATORS = ("evaluable", "all")
OUTCOMES = ("responder", "best_response")
ENDPOINT_NAMES = {key: e.name for key, e in ENDPOINTS.items()}


class MethodsOptionError(SarcomaError):
    """An option the methods paragraph cannot describe; the message lists the valid ones."""


def software_versions() -> dict[str, str]:
    """Versions of Python, the numerical libraries and this tool, as installed."""
    out = {"Python": platform.python_version()}
    for name in (TOOL_DISTRIBUTION, *LIBRARIES):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass(frozen=True)
class MethodsOptions:
    """What the current view did. Leave a part out (None / False) when the view does not have it.

    `grouping_label` is the survival comparison (None: curves of all patients, no test);
    `stratified` says whether the test was actually stratified by centre. `n_tests` is the size
    of the subgroup table's family of tests (0: no subgroup table). `response_denominator` None
    means no response analysis; `association_monte_carlo` is the number of simulated tables when
    the exact association test was estimated by Monte-Carlo instead of full enumeration.
    """

    n: int | None = None
    n_total: int | None = None
    filters: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ("PFS", "OS")
    conf_type: str = "log-log"
    alpha: float = 0.05
    rate_times: tuple[float, ...] = (6.0, 12.0, 24.0)
    grouping_label: str | None = None
    test: str = "logrank"
    stratified: bool = False
    min_group_size: int = 5
    n_tests: int = 0
    subgroup_test: str = "logrank"
    subgroup_conf_type: str | None = None  # None: same as conf_type
    adjust: str = "holm"
    subgroup_endpoints: tuple[str, ...] = ("PFS", "OS")
    time_to_response: bool = False  # TTR summarised (median and range) alongside the swimmer plot
    response_denominator: str | None = "evaluable"
    response_by_label: str | None = None
    response_outcome: str = "responder"
    association_monte_carlo: int | None = None
    table1_by_label: str | None = None
    versions: dict[str, str] = field(default_factory=software_versions)

    def __post_init__(self) -> None:
        _check(self.conf_type, CONF_TYPES, "confidence-interval method")
        _check(self.test, TESTS, "survival test")
        _check(self.subgroup_test, TESTS, "subgroup test")
        if self.subgroup_conf_type is not None:
            _check(self.subgroup_conf_type, CONF_TYPES, "subgroup confidence-interval method")
        _check(self.adjust, ADJUSTMENTS, "multiplicity adjustment")
        _check(self.response_outcome, OUTCOMES, "association outcome")
        if self.response_denominator is not None:
            _check(self.response_denominator, DENOMINATORS, "response denominator")
        for e in (*self.endpoints, *self.subgroup_endpoints):
            _check(e, ENDPOINT_NAMES, "endpoint")
        if not 0 < self.alpha < 1:
            raise MethodsOptionError(f"The significance level must be between 0 and 1 (e.g. 0.05), not {self.alpha!r}.")
        if self.n is not None and self.n_total is not None and not 0 <= self.n <= self.n_total:
            raise MethodsOptionError(f"The analysed n ({self.n}) cannot exceed the cohort size ({self.n_total}).")
        if self.n_tests < 0:
            raise MethodsOptionError("The number of subgroup tests cannot be negative.")


def _check(value: str, allowed: Sequence[str] | dict, what: str) -> None:
    if value not in allowed:
        raise MethodsOptionError(f"Unknown {what} {value!r}; choose one of {', '.join(allowed)}.")


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _months(times: Sequence[float]) -> str:
    return _join([f"{t:g}" for t in times]) + " months"


def methods_paragraph(options: MethodsOptions) -> str:
    """The statistical-methods paragraph for the view described by `options`."""
    o = options
    level = f"{100 * (1 - o.alpha):g}%"
    z = f"{stats.norm.ppf(1 - o.alpha / 2):.2f}"
    s: list[str] = []

    # Population and selection.
    if o.n is not None and o.n_total is not None:
        if o.filters:
            s.append(
                f"The analysis included {o.n} of the {o.n_total} patients in the dataset, selected by "
                + "; ".join(o.filters) + "."
            )
        else:
            s.append(f"All {o.n} patients in the dataset were included (no selection applied).")

    # Descriptive statistics (the seed's wording) and Table 1 tests.
    s.append(
        "Patient, disease and treatment characteristics were summarised as numbers and percentages "
        "for categorical variables and as median and range (minimum-maximum) for continuous variables."
    )
    if o.table1_by_label:
        s.append(
            f"Characteristics were compared between {o.table1_by_label} groups with Pearson's chi-square "
            "test without continuity correction (Fisher's exact test for 2×2 tables with any expected "
            "count below 5) and, for continuous variables, the Mann-Whitney U test (two groups) or the "
            "Kruskal-Wallis test (more than two groups)."
        )

    # Endpoints, Kaplan-Meier, CIs.
    if o.endpoints:
        # Each endpoint's definition comes from the endpoint registry, as every view states it.
        s += [ENDPOINTS[e].definition for e in o.endpoints]
        names = _join(list(o.endpoints))
        s.append(f"{names} {'were' if len(o.endpoints) > 1 else 'was'} estimated with the Kaplan-Meier method, with Greenwood's formula for the variance.")
        s.append(_ci_sentence(o.conf_type, level, z))
        if o.rate_times:
            s.append(f"Survival rates at {_months(o.rate_times)} were read from the Kaplan-Meier curves with their {level} CIs.")
        s.append(
            "Median follow-up was estimated by the reverse Kaplan-Meier method (Schemper and Smith), "
            "in which deaths are censored and censorings are events."
        )

        if o.grouping_label:
            sentence = f"{names} {'were' if len(o.endpoints) > 1 else 'was'} compared by {o.grouping_label} with {_test_words(o.test)}"
            if o.stratified:
                sentence += ", stratified by treating centre (centre-specific observed and expected events summed)"
            s.append(sentence + ".")
            s.append(
                f"Groups with fewer than {o.min_group_size} patients were flagged, and p-values involving them "
                "are reported with that caveat."
            )

    # Subgroup table and multiplicity.
    if o.n_tests:
        base = (
            f"In the subgroup analysis, {_join(list(o.subgroup_endpoints))} "
            f"{'were' if len(o.subgroup_endpoints) > 1 else 'was'} compared across each grouping variable with "
            f"{_test_words(o.subgroup_test)} ({o.n_tests} tests in total)"
        )
        if o.adjust == "holm":
            base += f"; p-values were adjusted for multiplicity with Holm's step-down method over all {o.n_tests} tests"
        elif o.adjust == "bh":
            base += (
                "; p-values were adjusted with the Benjamini-Hochberg procedure (false discovery rate) "
                f"over all {o.n_tests} tests"
            )
        else:
            base += "; p-values were not adjusted for multiplicity and are exploratory"
        s.append(base + ".")
        if o.subgroup_conf_type is not None and o.subgroup_conf_type != o.conf_type:
            ci = _ci_sentence(o.subgroup_conf_type, level, z)
            s.append("In the subgroup table, " + ci[0].lower() + ci[1:])

    if o.time_to_response:
        s.append(DISTRIBUTIONS["TTR"].definition)

    # Response.
    if o.response_denominator is not None:
        denominator = (
            "the evaluable patients (best response CR, PR, SD or PD; patients not evaluable were "
            "excluded from the denominator)"
            if o.response_denominator == "evaluable"
            else "all treated patients (patients not evaluable counted as non-responders)"
        )
        s.append(
            "Best overall response was assessed according to RECIST 1.1. The objective response rate "
            "(ORR; complete or partial response) and the disease control rate (DCR; complete or partial "
            f"response or stable disease) were calculated over {denominator}, with exact Clopper-Pearson "
            f"{level} CIs."
        )
        if o.response_by_label:
            what = (
                "objective response (CR/PR vs other)" if o.response_outcome == "responder"
                else "best response category (CR, PR, SD, PD)"
            )
            sentence = (
                f"The association between {o.response_by_label} and {what} was tested with Pearson's "
                "chi-square test and with Fisher's exact test (2×2 tables) or its Fisher-Freeman-Halton "
                "extension (larger tables)"
            )
            if o.association_monte_carlo:
                sentence += (
                    f"; the exact p-value was estimated from {o.association_monte_carlo:,} Monte-Carlo "
                    "tables with the observed margins because full enumeration was too large"
                )
            s.append(sentence + ".")

    s.append(f"All tests were two-sided with a significance level of {o.alpha:g}.")
    v = o.versions
    libs = ", ".join(f"{name} {v.get(name, 'unknown')}" for name in LIBRARIES)
    s.append(
        f"Analyses were performed with {TOOL_DISTRIBUTION} {v.get(TOOL_DISTRIBUTION, 'unknown')} "
        f"(Python {v.get('Python', 'unknown')}; {libs})."
    )
    return " ".join(s)


def _ci_sentence(conf_type: str, level: str, z: str) -> str:
    if conf_type == "spss":
        return (
            f"The {level} confidence interval (CI) of the median was computed as the median ± {z} × its "
            "standard error, with the standard error from Collett's density-based formula (the interval "
            f"SPSS reports); pointwise {level} CIs of survival were S(t) ± {z} × SE (Greenwood)."
        )
    words = {
        "log-log": "the log-log transformation (Kalbfleisch-Prentice)",
        "log": "the log transformation",
        "plain": "no transformation (linear, S(t) ± z × SE)",
    }[conf_type]
    return (
        f"Pointwise {level} confidence intervals (CIs) used {words}, and CIs of the median were "
        f"obtained by the Brookmeyer-Crowley method with {'the same transformation' if conf_type != 'plain' else 'the same linear intervals'}."
    )


def _test_words(test: str) -> str:
    return {
        "logrank": "the log-rank (Mantel-Cox) test",
        "breslow": "the Breslow (generalised Wilcoxon) test, which weights each event time by the number "
        "of patients at risk and so emphasises early differences",
        "tarone-ware": "the Tarone-Ware test, which weights each event time by the square root of the "
        "number of patients at risk",
        "peto": "the Peto-Peto test, which weights each event time by the Peto-Peto modified survival "
        "estimate of the pooled sample, prod(1 - d/(n + 1)) (as SAS LIFETEST and Klein & Moeschberger)",
        "fh-rho1": "the Fleming-Harrington test with rho = 1, which weights each event time by the pooled "
        "Kaplan-Meier estimate just before it (R's survdiff(rho = 1))",
        "trend": "the log-rank test for trend across the ordered groups (scores 1, 2, ... in the order shown)",
    }[test]
