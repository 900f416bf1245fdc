"""Landmark & Cox page: guard-rails for post-baseline groupings, Cox models, RMST.

Widgets and layout only: every number comes from sarcoma.landmark, sarcoma.cox, sarcoma.rmst.
"""

import streamlit as st

from pages import _shared as ui
from sarcoma.cox import (
    TIME_TRANSFORM,
    TRANSFORMS,
    covariate_options,
    fit_cox,
    univariable_cox,
    univariable_display,
)
from sarcoma.groupings import level_order
from sarcoma.landmark import (
    LANDMARK_RULE,
    has_response_dates,
    landmark_analysis,
    response_time_dependent_cox,
    suggest_landmark,
)
from sarcoma.plots import forest_figure, km_figure
from sarcoma.rmst import horizon_limit, rmst_by_group
from sarcoma.survival import SurvivalInputError

RMST_MIN_HORIZON = 1.0  # months: a slider from 0.5 needs room above it
ENDPOINT_NAMES = {"PFS": "Progression-free survival", "OS": "Overall survival"}



def reference_choice(where, key: str, widget_key: str, label: str | None = None):
    """Reference level among the dataset's levels, so a filter never changes it silently; a
    reference the selection lacks stays chosen and the default is used until it is back."""
    grouping = groupings[key]
    levels = ui.memo("levels_all", (key,), lambda: level_order(grouping.make(ui.current_dataset().cohort), grouping))
    chosen = where.selectbox(label or f"Reference for {grouping.label}", levels, key=widget_key)
    present = set(grouping.make(cohort).dropna().unique())
    if chosen in present:
        return chosen
    ui.not_shown(f"Reference {chosen} for {grouping.label}", "no patient of this selection is in that group; the default reference is used instead")
    return None


ui.require_app()

st.header("Landmark & Cox")
result = ui.filtered()
if ui.enough_patients(result):
    cohort = result.subset
    state = ui.filter_state_from_widgets()
    groupings = ui.grouping_options()
    tab_lm, tab_cox, tab_rmst = st.tabs(["Landmark analysis", "Cox regression", "Restricted mean survival time"])

    # ------------------------------------------------------------------ landmark
    with tab_lm:
        post = {k: g for k, g in groupings.items() if g.post_baseline}
        if not post:
            st.info("No grouping known only after treatment start (response, adverse events) splits this selection.")
        else:
            c1, c2, c3 = st.columns(3)
            endpoint = c1.radio("Endpoint", ["PFS", "OS"], horizontal=True, key="lm_endpoint")
            group_key = c2.selectbox("Grouping", list(post), format_func=lambda k: post[k].label, key="lm_group")
            problem = ui.grouping_problem(result, group_key)
            suggested = suggest_landmark(cohort, endpoint)
            landmark = c3.number_input(
                "Landmark (months after ICI start)", min_value=0.5, max_value=60.0, value=min(max(float(suggested), 0.5), 60.0), step=0.5, key="lm_months"
            )
            st.caption(f"{LANDMARK_RULE} Suggested for this selection and endpoint: {suggested:g} months.")
            use_dates = False
            if group_key == "responder" and has_response_dates(cohort):
                use_dates = st.toggle("Classify response at the landmark from the response dates", value=True, key="lm_dates")
            try:
                if problem is not None:
                    raise SurvivalInputError(f"{post[group_key].label} cannot split this selection: {problem}.")
                res = ui.memo(
                    "landmark", (endpoint, group_key, float(landmark), use_dates, state.line_cut),
                    lambda: landmark_analysis(cohort, endpoint, group_key, float(landmark), line_cut=state.line_cut, use_response_dates=use_dates),
                )
            except SurvivalInputError as exc:
                st.error(ui.md(exc))
            else:
                st.info(ui.md(res.explanation))
                if res.residual_bias:
                    st.warning(ui.md(res.residual_bias))
                for note in res.notes:
                    st.caption(ui.md(note))
                st.subheader("Naive vs landmark")
                st.dataframe(res.comparison().drop(columns="p_value"), hide_index=True, key="lm_comparison")
                for ex in res.excluded:
                    st.caption(ui.md(f"Not in the landmark analysis: {ex.n} patient(s) — {ex.reason}."))
                left, right = st.container(), st.container()  # stacked: full width for each figure
                style = ui.plot_style()
                with left:
                    fig = km_figure(
                        res.naive.curves, at_risk=res.naive.at_risk, title=f"Naive: {endpoint} from ICI start",
                        annotation=res.naive.test_label(), colors=ui.colors_for(list(res.naive.curves), group_key), style=style,
                    )
                    st.plotly_chart(fig, theme=None, config=ui.PLOTLY_CONFIG, key="lm_naive_fig")
                with right:
                    if res.landmark.curves:
                        fig = km_figure(
                            res.landmark.curves, at_risk=res.landmark.at_risk,
                            title=f"Landmark: {endpoint} from {res.landmark_months:g} months",
                            x_label=f"Months from the landmark ({res.landmark_months:g} months after ICI start)",
                            annotation=res.landmark.test_label(), colors=ui.colors_for(list(res.landmark.curves), group_key), style=style,
                        )
                        st.plotly_chart(fig, theme=None, config=ui.PLOTLY_CONFIG, key="lm_landmark_fig")
                if res.landmark.test_note:
                    st.caption(ui.md(res.landmark.test_note))
                if use_dates:
                    try:
                        td = ui.memo("td_cox", (endpoint,), lambda: response_time_dependent_cox(cohort, endpoint))
                    except SurvivalInputError as exc:
                        st.caption(ui.md(f"Time-dependent Cox model not computed: {exc}"))
                    else:
                        st.markdown(f"**Response as a time-dependent covariate** (all patients, from ICI start): {ui.md(td.text())}")

    # ------------------------------------------------------------------ Cox
    with tab_cox:
        options = ui.memo("cox_options", (state.line_cut,), lambda: covariate_options(ui.current_dataset().cohort, state.line_cut))
        usable = covariate_options(cohort, state.line_cut)
        c1, c2, c3 = st.columns(3)
        cox_endpoint = c1.radio("Endpoint", ["PFS", "OS"], horizontal=True, key="cox_endpoint")
        mode = c2.radio("Model", ["univariable", "multivariable"], horizontal=True, key="cox_mode", format_func=str.capitalize)
        min_size = c3.number_input("Minimum group size", min_value=1, max_value=50, value=5, key="cox_min")
        default = [k for k in ("line_2", "age") if k in options]
        covs = st.multiselect("Covariates", list(options), default=default, format_func=options.get, key="cox_covs")
        c4, c5 = st.columns(2)
        stratify = c4.toggle(
            "Stratify by centre (separate baseline hazard per centre)", value=False, key="cox_strata", disabled="center" not in cohort
        )
        transform = c5.selectbox(
            "Proportional-hazards test: time transform", list(TRANSFORMS), index=list(TRANSFORMS).index(TIME_TRANSFORM),
            format_func=lambda k: f"{k} ({TRANSFORMS[k]})", key="cox_ph_transform",
            help="g(t) in the Grambsch-Therneau test (R's cox.zph): the test asks whether each hazard ratio drifts with g(t).",
        )
        for key in [k for k in covs if k not in usable]:
            ui.not_shown(options[key], "it takes a single value in this selection")
        covs = [k for k in covs if k in usable]
        refs = {}
        ref_cols = st.columns(3)
        for i, key in enumerate(k for k in covs if k in groupings):
            if (ref := reference_choice(ref_cols[i % 3], key, f"cox_ref_{key}")) is not None:
                refs[key] = ref
        if not covs:
            st.info("Choose at least one covariate.")
        else:
            ref_key = tuple(sorted(refs.items()))
            try:
                if mode == "univariable":
                    table = ui.memo(
                        "cox_uni", (cox_endpoint, tuple(covs), ref_key, stratify, int(min_size), state.line_cut, transform),
                        lambda: univariable_cox(cohort, cox_endpoint, covs, references=refs, stratify_by_center=stratify,
                                                line_cut=state.line_cut, min_group_size=int(min_size), ph_transform=transform),
                    )
                    forest = table.dropna(subset=["hr"])
                    shown = table
                    model = None
                else:
                    model = ui.memo(
                        "cox_multi", (cox_endpoint, tuple(covs), ref_key, stratify, int(min_size), state.line_cut, transform),
                        lambda: fit_cox(cohort, cox_endpoint, covs, references=refs, stratify_by_center=stratify,
                                        line_cut=state.line_cut, min_group_size=int(min_size), ph_transform=transform),
                    )
                    forest = model.forest_table()
                    shown = None
            except SurvivalInputError as exc:
                st.error(ui.md(exc))
            else:
                if model is not None:
                    st.markdown(
                        f"**{ENDPOINT_NAMES[cox_endpoint]}**: {model.n} patients, {model.n_events} events, "
                        f"{model.n_parameters} parameters ({model.epv:.1f} events per parameter)"
                        + (f"; {model.n_excluded} left out for missing values" if model.n_excluded else "")
                        + ("; stratified by centre" if model.stratified_by_center else "")
                    )
                    if model.epv_warning:
                        st.warning(ui.md(model.epv_warning))
                    if model.ph is not None:
                        for note in model.ph.notes():
                            st.warning(ui.md(note))
                    for note in model.notes:
                        st.caption(ui.md(note))
                if len(forest):
                    fig = forest_figure(
                        forest, estimate="hr", lower="lower", upper="upper", log_x=True, reference=1.0, flag="small",
                        x_label="Hazard ratio vs reference (log scale; hollow: group below minimum size)", style=ui.plot_style(),
                    )
                    st.plotly_chart(fig, theme=None, config=ui.PLOTLY_CONFIG, key="cox_forest")
                if model is not None:
                    st.dataframe(model.display(), hide_index=True, key="cox_table")
                    st.markdown(f"**Tests of the model** (as R's summary(coxph)): {ui.md(model.tests_text())}")
                    if model.ph is not None:
                        st.caption(ui.md(model.ph.describe()))
                else:
                    st.dataframe(univariable_display(shown), hide_index=True, key="cox_table")
                    for note in shown["ph_note"]:
                        if note:
                            st.warning(ui.md(note))
                    st.caption(
                        "One model per covariate. A covariate with k levels is tested on k - 1 df: its likelihood-ratio, "
                        "score and proportional-hazards tests and its concordance are on its first row."
                    )
                st.caption(
                    "Cox proportional hazards regression, Efron ties, fitted as R's coxph (survival 3.x). "
                    "p (Wald): z = coefficient / standard error, per term. Likelihood-ratio, Wald and score (log-rank) "
                    "tests of the model and Harrell's concordance as R's summary(coxph). Proportional hazards: "
                    f"Grambsch-Therneau score test (R's cox.zph), time transform '{transform}' ({TRANSFORMS[transform]})."
                )

    # ------------------------------------------------------------------ RMST
    with tab_rmst:
        c1, c2, c3 = st.columns(3)
        r_endpoint = c1.radio("Endpoint", ["PFS", "OS"], horizontal=True, key="rmst_endpoint")
        r_group = c2.selectbox(
            "Compare by", [None, *groupings], format_func=lambda k: "No grouping (all patients)" if k is None else groupings[k].label,
            key="rmst_group",
        )
        if (problem := ui.grouping_problem(result, r_group)) is not None:
            ui.not_shown(f"Compare by {groupings[r_group].label}", problem)
            r_group = None
        try:
            limit = ui.memo("rmst_limit", (r_endpoint, r_group, state.line_cut), lambda: horizon_limit(cohort, r_endpoint, r_group, line_cut=state.line_cut))
        except SurvivalInputError as exc:
            st.error(ui.md(exc))
        else:
            r_ref = None
            if r_group is not None:
                r_ref = reference_choice(c3, r_group, "rmst_ref", label="Reference group")
            if limit < RMST_MIN_HORIZON:
                st.info(ui.md(
                    f"Restricted mean survival time needs a horizon of at least {RMST_MIN_HORIZON:g} month within every "
                    f"group's follow-up; in this selection the longest possible horizon is {limit:.2g} months."
                ))
            else:
                tau = st.slider(
                    "Horizon τ (months)", min_value=0.5, max_value=float(limit),
                    value=min(12.0, float(limit)), step=0.5, key="rmst_tau",
                    help="RMST is the area under the Kaplan-Meier curve up to τ. τ may not exceed the follow-up of any group.",
                )
                try:
                    table = ui.memo(
                        "rmst", (r_endpoint, r_group, r_ref, float(tau), state.line_cut),
                        lambda: rmst_by_group(cohort, r_endpoint, r_group, float(tau), reference=r_ref, line_cut=state.line_cut),
                    )
                except SurvivalInputError as exc:
                    st.error(ui.md(exc))
                else:
                    frame = table.frame()
                    st.dataframe(frame[[c for c in frame.columns if c[0].isupper() or c in ("n", "p")]], hide_index=True, key="rmst_table")
                    for diff in table.differences.values():
                        st.markdown(ui.md(diff.text()))
                    st.caption(ui.md(table.methods_note()))
                    for ex in table.excluded:
                        st.caption(ui.md(f"Not in the analysis: {ex.n} patient(s) — {ex.reason}."))
