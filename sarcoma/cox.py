"""Cox regression for the cohort: univariable and multivariable hazard ratios with guard-rails.

Built on `sarcoma.survival.cox_hazard_ratios` (`sarcoma.coxfit`: Efron ties, fitted as R's
coxph to its printed digits), which dummy-codes categorical covariates against a reference
level, drops incomplete cases and refuses fits that would be meaningless. Every table names its
tests as R's `summary(coxph)` does: Wald p per term; likelihood-ratio, Wald and score
(log-rank) tests of the model; Harrell's concordance. On top of it this module adds what a
small cohort needs:

* Covariates are grouping keys (`sarcoma.groupings`, e.g. "line_2", "histotype") or numeric
  columns (`NUMERIC_COVARIATES`, e.g. age per year), each with a user-chosen reference level.
* Events per parameter (EPV): with fewer than 10 events per estimated coefficient a Cox model
  overfits and its hazard ratios are biased away from 1 (Peduzzi et al., J Clin Epidemiol 1996);
  the result says how many events and parameters there are.
* Optional stratification by centre (a separate baseline hazard per centre, R's strata()).
* Proportional-hazards check: R's `cox.zph` (Grambsch-Therneau score test, survival >= 3.0;
  `sarcoma.coxzph`), per term and global, time transform "km" by default, with a
  plain-language note for every term with p < 0.05.
* Small groups (fewer than the minimum size) and post-baseline covariates (response, adverse
  events: guarantee-time bias) are flagged with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sarcoma.cox_view import WALD, hr_ci_text, model_tests_text, n_events_text, univariable_display
from sarcoma.coxfit import ChiSquareTest
from sarcoma.coxzph import DEFAULT_TRANSFORM, TRANSFORMS, ZphSingularError, cox_zph
from sarcoma.endpoints import endpoint_data
from sarcoma.formatting import p_value_text
from sarcoma.groupings import DEFAULT_LINE_CUT, available_groupings, level_order, make_groupings
from sarcoma.km_summary import DEFAULT_MIN_GROUP, endpoint_columns, format_p
from sarcoma.schema import ENDPOINTS as STORED_ENDPOINTS
from sarcoma.survival import CoxFitError, CoxResult, SurvivalInputError, cox_hazard_ratios

__all__ = [
    "EPV_MIN",
    "NUMERIC_COVARIATES",
    "CoxModel",
    "PHCheck",
    "TIME_TRANSFORM",
    "TRANSFORMS",
    "covariate_options",
    "events_per_parameter",
    "fit_cox",
    "univariable_cox",
    "univariable_display",
]

# Numeric columns offered as linear covariates, with the unit of their hazard ratio.
NUMERIC_COVARIATES: dict[str, str] = {
    "age": "Age (per year)",
    "prior_lines": "Prior lines of therapy (per line)",
    "n_met_sites": "Number of metastatic sites (per site)",
    "tmb": "TMB (per mutation/Mb)",
}
EPV_MIN = 10
PH_ALPHA = 0.05
# R's cox.zph default: g(t) = 1 - Kaplan-Meier (robust to a few very long times).
TIME_TRANSFORM = DEFAULT_TRANSFORM


def _short(label: str) -> str:
    """'Line of therapy (1-2 vs ≥3)' -> 'Line of therapy': the levels are in the term already."""
    return re.sub(r"\s*\(.*\)\s*$", "", label) or label


def covariate_options(df: pd.DataFrame, line_cut: int = DEFAULT_LINE_CUT) -> dict[str, str]:
    """Covariates this cohort supports: {key: label}, groupings first, then numeric columns."""
    out = {k: g.label for k, g in available_groupings(df, line_cut).items()}
    for col, label in NUMERIC_COVARIATES.items():
        if col in df and col not in out:
            x = pd.to_numeric(df[col], errors="coerce").dropna()
            if x.nunique() >= 2:
                out[col] = label
    return out


def events_per_parameter(n_events: int, n_parameters: int) -> tuple[float, str | None]:
    """EPV and, below `EPV_MIN`, a warning that says how many events and parameters there are."""
    if n_parameters <= 0:
        return math.nan, None
    epv = n_events / n_parameters
    if epv >= EPV_MIN:
        return epv, None
    return epv, (
        f"Only {n_events} events for {n_parameters} estimated parameter{'s' if n_parameters != 1 else ''} "
        f"({epv:.1f} events per parameter; at least {EPV_MIN} are recommended, Peduzzi et al. 1996). "
        "The model may be overfitted: hazard ratios tend to be exaggerated and confidence intervals "
        "too narrow. Use fewer covariates or merge small groups."
    )


@dataclass(frozen=True)
class PHCheck:
    """R's cox.zph: Grambsch-Therneau test per model term and globally.

    `table` is indexed by term (a covariate: its row label when it has one coefficient, e.g.
    "Line of therapy: ≥3 vs 1-2", else its name, e.g. "Histotype" on 2 df, as R tests a
    factor) with columns covariate, statistic (chi-square), df, p_value, note.
    """

    table: pd.DataFrame
    global_test: ChiSquareTest
    time_transform: str = TIME_TRANSFORM

    @property
    def violations(self) -> tuple[str, ...]:
        return tuple(self.table.index[self.table["p_value"] < PH_ALPHA])

    def notes(self) -> list[str]:
        return [n for n in self.table["note"] if n]

    @property
    def method(self) -> str:
        """The test as the tables name it, e.g. "Grambsch-Therneau, km"."""
        return f"Grambsch-Therneau, {self.time_transform}"

    def describe(self) -> str:
        """One line for the caption: what was tested, with which g(t), and the global result."""
        g = self.global_test
        return (
            f"Proportional hazards: Grambsch-Therneau score test (R cox.zph, survival >= 3.0), time "
            f"transform '{self.time_transform}' ({TRANSFORMS[self.time_transform]}); global test "
            f"chi-square = {g.statistic:.2f} on {g.df} df, {format_p(g.p_value)}."
        )


@dataclass(frozen=True)
class CoxModel:
    """A fitted Cox model with its guard-rail checks.

    `table` has one row per term (index: readable label such as "Histotype: LMS vs UPS") with
    coef, se, hr, lower, upper, p_value (Wald), covariate, level, reference, n_level and
    events_level (patients and events in that level), n_reference and events_reference (all
    four NaN for numeric terms), small (level or its reference
    below the minimum size), ph_p_value (the term's Grambsch-Therneau p), ph_note (the
    proportional-hazards warning, if any) and note (every note for the term).
    """

    endpoint: str
    covariates: tuple[str, ...]
    result: CoxResult
    table: pd.DataFrame
    n: int
    n_events: int
    n_excluded: int
    n_parameters: int
    epv: float
    epv_warning: str | None
    ph: PHCheck | None
    stratified_by_center: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tests(self) -> tuple[ChiSquareTest, ...]:
        """Likelihood ratio, Wald and score (log-rank) tests of the whole model (R's order)."""
        return self.result.tests

    def tests_text(self) -> str:
        return model_tests_text(self.tests, self.result.concordance, self.result.concordance_se)

    def display(self) -> pd.DataFrame:
        """The table as shown: patients (events) per level, HR (95% CI), Wald p, PH test p, notes."""
        t = self.table
        ph = f"PH test p ({self.ph.method})" if self.ph is not None else "PH test p"
        return pd.DataFrame(
            {
                "Term": t.index,
                # A numeric term (age per year) is estimated from every patient in the model.
                "n (events)": [
                    n_events_text(n, e) if np.isfinite(n) else n_events_text(self.n, self.n_events)
                    for n, e in zip(t["n_level"], t["events_level"], strict=True)
                ],
                "Reference n (events)": [n_events_text(n, e) for n, e in zip(t["n_reference"], t["events_reference"], strict=True)],
                "HR (95% CI)": [hr_ci_text(h, lo, hi) for h, lo, hi in zip(t["hr"], t["lower"], t["upper"], strict=True)],
                f"p ({WALD})": [p_value_text(p) for p in t["p_value"]],
                ph: [p_value_text(p) if np.isfinite(p) else "not computed" for p in t["ph_p_value"]],
                "Note": t["note"].to_numpy(),
            }
        )

    def forest_table(self) -> pd.DataFrame:
        """Rows for `plots.forest_figure`: label, hr, lower, upper, small."""
        t = self.table
        labels = [
            f"{term} (n={int(n)})" if np.isfinite(n) else str(term) for term, n in zip(t.index, t["n_level"], strict=True)
        ]
        return pd.DataFrame(
            {"label": labels, "hr": t["hr"].to_numpy(), "lower": t["lower"].to_numpy(), "upper": t["upper"].to_numpy(), "small": t["small"].to_numpy()}
        )


def _design(
    df: pd.DataFrame, endpoint: str, covariates: Sequence[str], line_cut: int
) -> tuple[pd.DataFrame, dict[str, str], dict[str, bool], dict[str, object]]:
    """Time, event and one column per covariate named by its readable label."""
    if endpoint in STORED_ENDPOINTS:
        tcol, ecol = endpoint_columns(endpoint)
        if tcol not in df or ecol not in df:
            raise SurvivalInputError(f"The data have no {endpoint} time and event columns.")
    # Time and event from the endpoint registry (derived endpoints such as DoR too); patients
    # the endpoint does not apply to, or without usable data, have none.
    analysed = endpoint_data(df, endpoint)
    defs = make_groupings(line_cut)
    data = pd.DataFrame({"_time": analysed["time"].reindex(df.index), "_event": analysed["event"].reindex(df.index).astype(float)})
    names: dict[str, str] = {}
    post: dict[str, bool] = {}
    groupings: dict[str, object] = {}
    for key in covariates:
        if key in defs:
            g = defs[key]
            name = _short(g.label)
            values = g.make(df)
            post[key] = g.post_baseline
            groupings[key] = g
        elif key in df:
            name = NUMERIC_COVARIATES.get(key, str(key))
            values = pd.to_numeric(df[key], errors="coerce")
            post[key] = False
        else:
            raise SurvivalInputError(f"Unknown covariate {key!r}: not a grouping variable nor a column of the data.")
        if values.notna().sum() == 0:
            raise SurvivalInputError(f"'{name}' is not recorded for any patient in this selection.")
        if name in data:
            raise SurvivalInputError(f"'{name}' is chosen twice; pick one version of it.")
        names[key] = name
        data[name] = values
    # Patients without time or event are not analysable at all; cox_hazard_ratios counts
    # patients with missing covariates itself.
    return data, names, post, groupings


def fit_cox(
    df: pd.DataFrame,
    endpoint: str,
    covariates: Sequence[str],
    *,
    references: Mapping[str, object] | None = None,
    stratify_by_center: bool = False,
    line_cut: int = DEFAULT_LINE_CUT,
    min_group_size: int = DEFAULT_MIN_GROUP,
    alpha: float = 0.05,
    check_ph: bool = True,
    ph_transform: str = TIME_TRANSFORM,
) -> CoxModel:
    """Cox model of `endpoint` on `covariates` (grouping keys and/or numeric columns).

    `references` maps a grouping key to its reference level (default: the first level of an
    ordered grouping such as line of therapy, else the largest group). With
    `stratify_by_center`, each centre gets its own baseline hazard (needs a `center` column with
    more than one centre). `check_ph` runs R's cox.zph with time transform `ph_transform`
    ("km", "rank" or "identity"). Raises `CoxFitError`/`SurvivalInputError` with a
    plain-language message when the model cannot be fitted.
    """
    if ph_transform not in TRANSFORMS:
        raise SurvivalInputError(f"Unknown time transform {ph_transform!r} for the proportional-hazards test; choose one of {', '.join(TRANSFORMS)}.")
    covs = list(dict.fromkeys(covariates))
    if not covs:
        raise SurvivalInputError("Choose at least one covariate for the Cox model.")
    data, names, post, groupings = _design(df, endpoint, covs, line_cut)
    n_no_outcome = int((data["_time"].isna() | data["_event"].isna()).sum())
    data = data[data["_time"].notna() & data["_event"].notna()]
    notes: list[str] = []
    if n_no_outcome:
        notes.append(f"{n_no_outcome} patient(s) without a usable {endpoint} time or event are left out.")

    strata = None
    if stratify_by_center:
        if "center" in covs:
            raise SurvivalInputError("Centre cannot be both a covariate and the stratification variable.")
        centers = df.loc[data.index, "center"] if "center" in df else pd.Series(dtype=object)
        if centers.dropna().nunique() > 1:
            data = data.assign(_center=centers.astype(object).where(centers.notna(), None))
            strata = "_center"
        else:
            notes.append("Not stratified: there is a single centre (or no centre recorded) in this selection.")

    refs: dict[str, object] = {}
    for key in covs:
        if key in groupings:
            ref = (references or {}).get(key)
            if ref is None:
                levels = level_order(data[names[key]], groupings[key])
                if levels and not groupings[key].ordered:
                    # Unordered groupings: the largest group, for the most stable hazard ratios.
                    counts = data[names[key]].value_counts()
                    levels = sorted(levels, key=lambda lv: (-counts.get(lv, 0), str(lv)))
                ref = levels[0] if levels else None
            if ref is not None:
                refs[names[key]] = ref
    result = cox_hazard_ratios(
        data, "_time", "_event", [names[k] for k in covs], strata=strata, reference=refs or None, alpha=alpha
    )
    n_params = len(result.table)
    epv, epv_warning = events_per_parameter(result.n_events, n_params)

    # Complete cases, exactly as cox_hazard_ratios selected them.
    used_cols = [names[k] for k in covs] + ([strata] if strata else [])
    complete = data[used_cols].notna().all(axis=1)
    cc = data[complete]
    table = result.table.copy()
    events = cc["_event"] == 1

    def count(covariate: str, level: object) -> tuple[float, float]:
        if level is None:
            return math.nan, math.nan
        in_level = cc[covariate] == level
        return int(in_level.sum()), int((in_level & events).sum())

    levels = [count(c, lv) for c, lv in zip(table["covariate"], table["level"], strict=True)]
    refs_ = [count(c, r) for c, r in zip(table["covariate"], table["reference"], strict=True)]
    table["n_level"] = [n for n, _ in levels]
    table["events_level"] = [e for _, e in levels]
    table["n_reference"] = [n for n, _ in refs_]
    table["events_reference"] = [e for _, e in refs_]
    ref_n = {c: int((cc[c] == r).sum()) for c, r in result.references.items()}
    # A hazard ratio compares a level with its reference: either group being small makes it fragile.
    table["small"] = [
        lv is not None and (n < min_group_size or ref_n[c] < min_group_size)
        for c, lv, n in zip(table["covariate"], table["level"], table["n_level"], strict=True)
    ]
    label_to_key = {v: k for k, v in names.items()}
    term_notes = []
    for _, row in table.iterrows():
        parts = []
        if row["small"]:
            parts.append(f"group below {min_group_size} patients — hazard ratio and p-value unreliable")
        if post.get(label_to_key[row["covariate"]]):
            parts.append(
                "known only after treatment starts: guarantee-time bias favours the 'better' group; "
                "prefer the landmark or time-dependent analysis"
            )
        term_notes.append("; ".join(parts))
    table["note"] = term_notes
    for c, r in result.references.items():
        if ref_n[c] < min_group_size:
            notes.append(f"The reference group of '{c}' ({r}) has only {ref_n[c]} patient(s): choose a larger reference.")

    ph = None
    table["ph_p_value"] = math.nan
    table["ph_note"] = ""
    if check_ph:
        try:
            ph = _ph_check(table, result, ph_transform)
        except CoxFitError as exc:
            notes.append(f"Proportional-hazards test not computed: {exc}")
        if ph is not None:
            by_covariate = ph.table.reset_index().set_index("covariate")
            table["ph_p_value"] = by_covariate["p_value"].reindex(table["covariate"]).to_numpy()
            table["ph_note"] = by_covariate["note"].reindex(table["covariate"]).to_numpy()
            table["note"] = ["; ".join(x for x in (a, b) if x) for a, b in zip(table["note"], table["ph_note"], strict=True)]
    return CoxModel(
        endpoint=endpoint, covariates=tuple(covs), result=result, table=table, n=result.n,
        n_events=result.n_events, n_excluded=result.n_excluded + n_no_outcome, n_parameters=n_params,
        epv=epv, epv_warning=epv_warning, ph=ph, stratified_by_center=strata is not None, notes=tuple(notes),
    )


def _ph_check(table: pd.DataFrame, result: CoxResult, transform: str) -> PHCheck:
    """R's cox.zph on the fitted model: one test per covariate (R's terms) and a global test."""
    terms = {}
    covariate_of = {}
    for covariate, cols in (result.terms or {}).items():
        # A covariate with one coefficient is named by its row ("Line of therapy: ≥3 vs 1-2").
        name = str(table.index[cols[0]]) if len(cols) == 1 else str(covariate)
        terms[name] = cols
        covariate_of[name] = covariate
    try:
        zph = cox_zph(result.fit, terms, transform)
    except (ZphSingularError, np.linalg.LinAlgError) as exc:
        raise CoxFitError(
            "too few distinct event times with patients still at risk to see a change over time "
            "(R's cox.zph stops here too)."
        ) from exc
    t = zph.table.drop(index="GLOBAL")
    notes = [
        (
            f"{term}: the hazard ratio seems to change over follow-up (Grambsch-Therneau test, "
            f"{transform} transform, {format_p(pv)}). It is an average over time; check whether the "
            "Kaplan-Meier curves cross, and consider the RMST difference, a landmark analysis or "
            "stratifying on this variable."
        )
        if pv < PH_ALPHA
        else ""
        for term, pv in t["p"].items()
    ]
    out = pd.DataFrame(
        {"covariate": [covariate_of[x] for x in t.index], "statistic": t["chisq"].to_numpy(), "df": t["df"].to_numpy(),
         "p_value": t["p"].to_numpy(), "note": notes},
        index=pd.Index(t.index, name="term"),
    )
    g = zph.table.loc["GLOBAL"]
    return PHCheck(table=out, global_test=ChiSquareTest("Grambsch-Therneau global test", float(g["chisq"]), int(g["df"]), float(g["p"])),
                   time_transform=transform)


_UNIVARIABLE_COLUMNS = [
    "covariate", "label", "coef", "se", "hr", "lower", "upper", "p_value", "n", "n_events", "n_level", "events_level",
    "n_reference", "events_reference", "small", "lr_statistic", "score_statistic", "df", "lr_p_value", "score_p_value",
    "concordance", "concordance_se", "ph_p_value", "ph_transform", "ph_note", "note",
]


def univariable_cox(
    df: pd.DataFrame,
    endpoint: str,
    covariates: Sequence[str],
    *,
    references: Mapping[str, object] | None = None,
    stratify_by_center: bool = False,
    line_cut: int = DEFAULT_LINE_CUT,
    min_group_size: int = DEFAULT_MIN_GROUP,
    alpha: float = 0.05,
    check_ph: bool = True,
    ph_transform: str = TIME_TRANSFORM,
) -> pd.DataFrame:
    """One Cox model per covariate; one row per term (forest-ready), failures explained.

    Columns: covariate, label, coef, se, hr, lower, upper, p_value (Wald), n, n_events,
    n_level/events_level and n_reference/events_reference (patients and events in the level
    and its reference; NaN for numeric terms), small, the covariate's model tests as R's
    summary(coxph) (lr_statistic, score_statistic on df; lr_p_value, score_p_value),
    concordance, concordance_se, ph_p_value (Grambsch-Therneau, transform ph_transform),
    ph_note (the PH warning alone), note (all notes). A covariate that cannot be fitted gives
    one row with NaN estimates and the reason in `note`.
    """
    rows = []
    for key in dict.fromkeys(covariates):
        try:
            m = fit_cox(
                df, endpoint, [key], references=references, stratify_by_center=stratify_by_center,
                line_cut=line_cut, min_group_size=min_group_size, alpha=alpha, check_ph=check_ph,
                ph_transform=ph_transform,
            )
        except (CoxFitError, SurvivalInputError) as exc:
            rows.append(
                {"covariate": key, "label": f"{key}: not estimable", "n": 0, "n_events": 0, "small": False,
                 "ph_transform": ph_transform, "ph_note": "", "note": str(exc)}
            )
            continue
        lr, _, score = m.tests
        for term, r in m.table.iterrows():
            rows.append(
                {"covariate": key, "label": str(term), **{c: r[c] for c in ("coef", "se", "hr", "lower", "upper", "p_value")},
                 "n": m.n, "n_events": m.n_events,
                 **{c: r[c] for c in ("n_level", "events_level", "n_reference", "events_reference")},
                 "small": bool(r["small"]), "lr_statistic": lr.statistic, "score_statistic": score.statistic, "df": lr.df,
                 "lr_p_value": lr.p_value, "score_p_value": score.p_value, "concordance": m.result.concordance,
                 "concordance_se": m.result.concordance_se, "ph_p_value": r["ph_p_value"], "ph_transform": ph_transform,
                 "ph_note": r["ph_note"], "note": r["note"]}
            )
    return pd.DataFrame(rows, columns=_UNIVARIABLE_COLUMNS)
