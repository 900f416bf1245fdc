"""Cox regression for the cohort: univariable and multivariable hazard ratios with guard-rails.

Built on `sarcoma.survival.cox_hazard_ratios` (lifelines CoxPHFitter, Efron ties as R coxph),
which dummy-codes categorical covariates against a reference level, drops incomplete cases and
refuses fits that would be meaningless. On top of it this module adds what a small cohort needs:

* Covariates are grouping keys (`sarcoma.groupings`, e.g. "line_2", "histotype") or numeric
  columns (`NUMERIC_COVARIATES`, e.g. age per year), each with a user-chosen reference level.
* Events per parameter (EPV): with fewer than 10 events per estimated coefficient a Cox model
  overfits and its hazard ratios are biased away from 1 (Peduzzi et al., J Clin Epidemiol 1996);
  the result says how many events and parameters there are.
* Optional stratification by centre (a separate baseline hazard per centre, lifelines strata).
* Proportional-hazards check: lifelines `proportional_hazard_test` (scaled Schoenfeld residuals,
  rank time transform; the test behind lifelines' `check_assumptions`), with a plain-language
  note for every term with p < 0.05.
* Small groups (fewer than the minimum size) and post-baseline covariates (response, adverse
  events: guarantee-time bias) are flagged with the reason.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sarcoma.groupings import DEFAULT_LINE_CUT, available_groupings, level_order, make_groupings
from sarcoma.km_summary import DEFAULT_MIN_GROUP, endpoint_columns, format_p
from sarcoma.survival import CoxFitError, CoxResult, SurvivalInputError, cox_hazard_ratios

__all__ = [
    "EPV_MIN",
    "NUMERIC_COVARIATES",
    "CoxModel",
    "PHCheck",
    "covariate_options",
    "events_per_parameter",
    "fit_cox",
    "univariable_cox",
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
TIME_TRANSFORM = "rank"


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
    """Proportional-hazards test per model term (lifelines, scaled Schoenfeld residuals)."""

    table: pd.DataFrame  # index: term label; columns statistic, p_value, note
    time_transform: str = TIME_TRANSFORM

    @property
    def violations(self) -> tuple[str, ...]:
        return tuple(self.table.index[self.table["p_value"] < PH_ALPHA])

    def notes(self) -> list[str]:
        return [n for n in self.table["note"] if n]


@dataclass(frozen=True)
class CoxModel:
    """A fitted Cox model with its guard-rail checks.

    `table` has one row per term (index: readable label such as "Histotype: LMS vs UPS") with
    hr, lower, upper, p_value, covariate, level, reference, n_level (patients in that level, NaN
    for numeric terms), small (level or its reference below the minimum size), ph_p_value,
    ph_note (the proportional-hazards warning, if any) and note (every note for the term).
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

    def display(self) -> pd.DataFrame:
        """The table as shown: HR (95% CI), p, PH test p, notes."""
        t = self.table
        return pd.DataFrame(
            {
                "Term": t.index,
                "HR (95% CI)": [f"{h:.2f} ({lo:.2f}-{hi:.2f})" for h, lo, hi in zip(t["hr"], t["lower"], t["upper"], strict=True)],
                "p": [format_p(p) for p in t["p_value"]],
                "PH test p": [format_p(p) if np.isfinite(p) else "not computed" for p in t["ph_p_value"]],
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
    tcol, ecol = endpoint_columns(endpoint)
    if tcol not in df or ecol not in df:
        raise SurvivalInputError(f"The data have no {endpoint} time and event columns.")
    defs = make_groupings(line_cut)
    data = pd.DataFrame({"_time": pd.to_numeric(df[tcol], errors="coerce"), "_event": pd.to_numeric(df[ecol], errors="coerce")})
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
) -> CoxModel:
    """Cox model of `endpoint` on `covariates` (grouping keys and/or numeric columns).

    `references` maps a grouping key to its reference level (default: the first level of an
    ordered grouping such as line of therapy, else the largest group). With `stratify_by_center`, each centre gets its own baseline hazard (needs a
    `center` column with more than one centre). Raises `CoxFitError`/`SurvivalInputError` with a
    plain-language message when the model cannot be fitted.
    """
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
    n_level = []
    for _, row in table.iterrows():
        if row["level"] is None:
            n_level.append(math.nan)
        else:
            n_level.append(int((cc[row["covariate"]] == row["level"]).sum()))
    table["n_level"] = n_level
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
            ph = _ph_check(cc, table, strata, result)
        except CoxFitError as exc:
            notes.append(f"Proportional-hazards test not computed: {exc}")
        if ph is not None:
            table["ph_p_value"] = ph.table["p_value"].reindex(table.index).to_numpy()
            table["ph_note"] = ph.table["note"].reindex(table.index).to_numpy()
            for term, note in ph.table["note"].items():
                if note:
                    i = table.index.get_loc(term)
                    table.iloc[i, table.columns.get_loc("note")] = "; ".join(x for x in (table["note"].iloc[i], note) if x)
    return CoxModel(
        endpoint=endpoint, covariates=tuple(covs), result=result, table=table, n=result.n,
        n_events=result.n_events, n_excluded=result.n_excluded + n_no_outcome, n_parameters=n_params,
        epv=epv, epv_warning=epv_warning, ph=ph, stratified_by_center=strata is not None, notes=tuple(notes),
    )


def _ph_check(cc: pd.DataFrame, table: pd.DataFrame, strata: str | None, result: CoxResult) -> PHCheck:
    """Refit on the same dummy coding (one column per term) and run lifelines' PH test.

    `cox_hazard_ratios` does not hand out its fitted model, so the design is rebuilt from its
    table (same levels, same reference) and the refit's coefficients are checked against it.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    design = pd.DataFrame({"_time": cc["_time"].to_numpy(float), "_event": cc["_event"].to_numpy(int)})
    for term, row in table.iterrows():
        col = cc[row["covariate"]]
        design[term] = (col == row["level"]).to_numpy(float) if row["level"] is not None else col.to_numpy(float)
    if strata:
        design[strata] = cc[strata].to_numpy()
    cph = CoxPHFitter(alpha=result.alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cph.fit(design, "_time", "_event", strata=[strata] if strata else None)
            test = proportional_hazard_test(cph, design, time_transform=TIME_TRANSFORM)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
            raise CoxFitError("the residuals could not be computed for this model.") from exc
    if not np.allclose(cph.params_.reindex(table.index).to_numpy(), table["coef"].to_numpy(), atol=1e-4):
        raise CoxFitError("the refitted model differs from the reported one.")
    summ = test.summary
    stat = summ["test_statistic"].reindex(table.index)
    p = summ["p"].reindex(table.index)
    notes = [
        (
            f"{term}: the hazard ratio seems to change over follow-up (proportional-hazards test {format_p(pv)}). "
            "It is an average over time; check whether the Kaplan-Meier curves cross, and consider "
            "the RMST difference, a landmark analysis or stratifying on this variable."
        )
        if pv < PH_ALPHA
        else ""
        for term, pv in p.items()
    ]
    return PHCheck(table=pd.DataFrame({"statistic": stat.to_numpy(), "p_value": p.to_numpy(), "note": notes}, index=table.index))


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
) -> pd.DataFrame:
    """One Cox model per covariate; one row per term (forest-ready), failures explained.

    Columns: covariate, label, hr, lower, upper, p_value, n, n_events, n_level, small,
    ph_p_value, ph_note (the PH warning alone), note (all notes). A covariate that cannot be
    fitted gives one row with NaN estimates and the reason in `note`.
    """
    rows = []
    for key in dict.fromkeys(covariates):
        try:
            m = fit_cox(
                df, endpoint, [key], references=references, stratify_by_center=stratify_by_center,
                line_cut=line_cut, min_group_size=min_group_size, alpha=alpha, check_ph=check_ph,
            )
        except (CoxFitError, SurvivalInputError) as exc:
            rows.append(
                {"covariate": key, "label": f"{key}: not estimable", "hr": math.nan, "lower": math.nan, "upper": math.nan,
                 "p_value": math.nan, "n": 0, "n_events": 0, "n_level": math.nan, "small": False, "ph_p_value": math.nan,
                 "ph_note": "", "note": str(exc)}
            )
            continue
        for term, r in m.table.iterrows():
            rows.append(
                {"covariate": key, "label": str(term), "hr": r["hr"], "lower": r["lower"], "upper": r["upper"],
                 "p_value": r["p_value"], "n": m.n, "n_events": m.n_events, "n_level": r["n_level"], "small": bool(r["small"]),
                 "ph_p_value": r["ph_p_value"], "ph_note": r["ph_note"], "note": r["note"]}
            )
    return pd.DataFrame(
        rows,
        columns=["covariate", "label", "hr", "lower", "upper", "p_value", "n", "n_events", "n_level", "small", "ph_p_value", "ph_note", "note"],
    )
