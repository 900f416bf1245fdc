"""Views of the Landmark & Cox page: the landmark analysis (guard against guarantee-time bias),
Cox regression (univariable or multivariable, R's coxph and cox.zph) and the restricted mean
survival time. Each is `(cohort, options, ctx) -> View`, like every other analysis."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sarcoma.cox import covariate_options, fit_cox, univariable_cox, univariable_display
from sarcoma.coxzph import TRANSFORMS
from sarcoma.endpoints import ENDPOINTS, get_endpoint
from sarcoma.formatting import in_sentence
from sarcoma.groupings import make_groupings, why_not_grouped
from sarcoma.landmark import LANDMARK_RULE, landmark_analysis, response_time_dependent_cox
from sarcoma.plots import forest_figure, km_figure
from sarcoma.rmst import rmst_by_group
from sarcoma.survival import SurvivalInputError
from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View
from sarcoma.views.survival import check_choice

COX_MODES = {"univariable": "Univariable", "multivariable": "Multivariable"}
COX_METHODS = (
    "Cox proportional hazards regression, Efron ties, fitted as R's coxph (survival 3.x). p (Wald): z = coefficient / "
    "standard error, per term. Likelihood-ratio, Wald and score (log-rank) tests of the model and Harrell's concordance "
    "as R's summary(coxph). Proportional hazards: Grambsch-Therneau score test (R's cox.zph), time transform '{t}' ({desc})."
)


@dataclass(frozen=True)
class LandmarkOptions:
    endpoint: str = "PFS"
    grouping: str = "responder"
    landmark: float = 3.0  # months after ICI start
    use_response_dates: bool = False

    def __post_init__(self) -> None:
        check_choice(self.endpoint, ENDPOINTS, "endpoint")
        check_choice(self.grouping, [k for k, g in make_groupings().items() if g.post_baseline], "landmark grouping")
        if not self.landmark > 0:
            raise ValueError("The landmark must be after the start of treatment (more than 0 months).")


def landmark_view(cohort: pd.DataFrame, options: LandmarkOptions, ctx: ViewContext) -> View:
    endpoint = get_endpoint(options.endpoint)
    grouping = make_groupings(ctx.line_cut)[options.grouping]
    title = f"Landmark analysis: {endpoint.key} by {in_sentence(grouping.label)}"
    try:
        if (problem := why_not_grouped(cohort, grouping)) is not None:
            raise SurvivalInputError(f"{grouping.label} cannot split this selection: {problem}.")
        res = landmark_analysis(cohort, endpoint.key, options.grouping, options.landmark, line_cut=ctx.line_cut,
                                use_response_dates=options.use_response_dates)
    except SurvivalInputError as exc:
        return View("landmark", "Landmark", title, warnings=(str(exc),), notes=(LANDMARK_RULE,), options=options)
    warnings = [res.residual_bias] if res.residual_bias else []
    notes = [res.explanation, *res.notes, *(f"Not in the landmark analysis: {ex.n} patient(s) — {ex.reason}." for ex in res.excluded)]
    if res.landmark.test_note:
        notes.append(res.landmark.test_note)
    lines = []
    if options.use_response_dates:
        try:
            td = response_time_dependent_cox(cohort, endpoint.key)
        except SurvivalInputError as exc:
            notes.append(f"Time-dependent Cox model not computed: {exc}")
        else:
            lines.append(f"Response as a time-dependent covariate (all patients, from ICI start): {td.text()}")
    figures = [FigureBlock(
        "landmark-naive", f"Naive: {endpoint.key} from ICI start",
        km_figure(res.naive.curves, at_risk=res.naive.at_risk, title=f"Naive: {endpoint.key} from ICI start",
                  annotation=res.naive.test_label(), colors=ctx.colors(options.grouping, list(res.naive.curves)), style=ctx.style),
    )]
    if res.landmark.curves:
        figures.append(FigureBlock(
            "landmark-landmark", f"Landmark: {endpoint.key} from {res.landmark_months:g} months",
            km_figure(res.landmark.curves, at_risk=res.landmark.at_risk, title=f"Landmark: {endpoint.key} from {res.landmark_months:g} months",
                      x_label=f"Months from the landmark ({res.landmark_months:g} months after ICI start)",
                      annotation=res.landmark.test_label(), colors=ctx.colors(options.grouping, list(res.landmark.curves)), style=ctx.style),
        ))
    return View(
        "landmark", "Landmark", title, lines=tuple(lines), warnings=tuple(warnings), notes=tuple(notes),
        tables=(TableBlock("landmark-comparison", "Naive vs landmark", res.comparison().drop(columns="p_value")),),
        figures=tuple(figures), methods=LANDMARK_RULE, options=options, figures_first=False,
    )


@dataclass(frozen=True)
class CoxOptions:
    endpoint: str = "PFS"
    mode: str = "univariable"
    covariates: tuple[str, ...] = ("line_2", "age")
    references: tuple[tuple[str, str], ...] = ()  # (grouping key, reference level)
    stratify: bool = False
    min_group_size: int = 5
    ph_transform: str = "km"

    def __post_init__(self) -> None:
        check_choice(self.endpoint, ENDPOINTS, "endpoint")
        check_choice(self.mode, COX_MODES, "Cox model")
        check_choice(self.ph_transform, TRANSFORMS, "proportional-hazards time transform")


def cox_view(cohort: pd.DataFrame, options: CoxOptions, ctx: ViewContext) -> View:
    endpoint = get_endpoint(options.endpoint)
    usable = covariate_options(cohort, ctx.line_cut)
    labels = covariate_options(ctx.dataset if ctx.dataset is not None else cohort, ctx.line_cut)
    warnings = [f"{labels.get(k, k)}: not in the model for this selection, because it takes a single value here. "
                "It is used again when the filters allow it." for k in options.covariates if k not in usable]
    covs = [k for k in options.covariates if k in usable]
    refs = dict(options.references)
    title = f"{COX_MODES[options.mode]} Cox regression: {in_sentence(endpoint.title)}"
    methods = COX_METHODS.format(t=options.ph_transform, desc=TRANSFORMS[options.ph_transform])
    if not covs:
        return View("cox", "Cox", title, warnings=(*warnings, "Choose at least one covariate that varies in this selection."),
                    options=options, methods=methods)
    kwargs = dict(references=refs, stratify_by_center=options.stratify, line_cut=ctx.line_cut,
                  min_group_size=options.min_group_size, ph_transform=options.ph_transform)
    lines: list[str] = []
    notes: list[str] = []
    try:
        if options.mode == "univariable":
            table = univariable_cox(cohort, endpoint.key, covs, **kwargs)
            forest = table.dropna(subset=["hr"])
            shown = univariable_display(table)
            warnings += [n for n in table["ph_note"] if n]
            notes.append("One model per covariate. A covariate with k levels is tested on k - 1 df: its likelihood-ratio, "
                         "score and proportional-hazards tests and its concordance are on its first row.")
        else:
            model = fit_cox(cohort, endpoint.key, covs, **kwargs)
            forest = model.forest_table()
            shown = model.display()
            lines.append(f"{endpoint.title}: {model.n} patients, {model.n_events} events, {model.n_parameters} parameters "
                         f"({model.epv:.1f} events per parameter)"
                         + (f"; {model.n_excluded} left out for missing values" if model.n_excluded else "")
                         + ("; stratified by centre" if model.stratified_by_center else ""))
            lines.append(f"Tests of the model (as R's summary(coxph)): {model.tests_text()}")
            if model.epv_warning:
                warnings.append(model.epv_warning)
            if model.ph is not None:
                warnings += list(model.ph.notes())
                notes.append(model.ph.describe())
            notes += list(model.notes)
    except SurvivalInputError as exc:
        return View("cox", "Cox", title, warnings=(*warnings, str(exc)), options=options, methods=methods)
    figures = ()
    if len(forest):
        fig = forest_figure(forest, estimate="hr", lower="lower", upper="upper", log_x=True, reference=1.0, flag="small",
                            favours=("lower hazard than the reference", "higher hazard"),
                            x_label="Hazard ratio vs reference (log scale; hollow: group below minimum size)",
                            title=f"{endpoint.title}: hazard ratios", style=ctx.style)
        figures = (FigureBlock("cox-forest", f"{title}: hazard ratios", fig),)
    return View("cox", "Cox", title, lines=tuple(lines), warnings=tuple(warnings), notes=tuple(notes), figures=figures,
                tables=(TableBlock("cox-table", title, shown),), methods=methods, options=options)


@dataclass(frozen=True)
class RmstOptions:
    endpoint: str = "PFS"
    grouping: str | None = None
    reference: str | None = None
    tau: float = 12.0

    def __post_init__(self) -> None:
        check_choice(self.endpoint, ENDPOINTS, "endpoint")
        if self.grouping is not None:
            check_choice(self.grouping, make_groupings(), "grouping")
        if not self.tau > 0:
            raise ValueError("The RMST horizon must be more than 0 months.")


def rmst_view(cohort: pd.DataFrame, options: RmstOptions, ctx: ViewContext) -> View:
    endpoint = get_endpoint(options.endpoint)
    title = f"Restricted mean survival time: {endpoint.key} to {options.tau:g} months"
    try:
        table = rmst_by_group(cohort, endpoint.key, options.grouping, options.tau, reference=options.reference, line_cut=ctx.line_cut)
    except SurvivalInputError as exc:
        return View("rmst", "RMST", title, warnings=(str(exc),), options=options)
    frame = table.frame()
    shown = frame[[c for c in frame.columns if c[0].isupper() or c in ("n", "p")]]
    notes = [*(f"Not in the analysis: {ex.n} patient(s) — {ex.reason}." for ex in table.excluded)]
    return View("rmst", "RMST", title, lines=tuple(d.text() for d in table.differences.values()),
                tables=(TableBlock("rmst-table", title, shown),), notes=tuple(notes), methods=table.methods_note(), options=options)
