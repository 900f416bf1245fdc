"""Landmark & Cox page: guard-rails for post-baseline groupings, Cox models, RMST.

Widgets and layout only: each tab renders a View of sarcoma.views.models.
"""

import streamlit as st

from pages import _shared as ui
from pages import _url as url
from pages._render import render_view
from sarcoma.cox import covariate_options
from sarcoma.coxzph import DEFAULT_TRANSFORM, TRANSFORMS
from sarcoma.endpoints import ENDPOINTS
from sarcoma.groupings import level_order
from sarcoma.landmark import LANDMARK_RULE, has_response_dates, suggest_landmark
from sarcoma.rmst import horizon_limit
from sarcoma.survival import SurvivalInputError
from sarcoma.views.models import (
    COX_MODES,
    CoxOptions,
    LandmarkOptions,
    RmstOptions,
    cox_view,
    landmark_view,
    rmst_view,
)

RMST_MIN_HORIZON = 1.0  # months: a slider from 0.5 needs room above it


def reference_choice(where, key: str, widget_key: str, label: str | None = None):
    """Reference level among the dataset's levels, so a filter never changes it silently; a
    reference the selection lacks stays chosen and the default is used until it is back."""
    grouping = groupings[key]
    levels = ui.memo("levels_all", (key,), lambda: level_order(grouping.make(ui.dataset_derived()), grouping))
    chosen = where.selectbox(label or f"Reference for {grouping.label}", levels, key=widget_key)
    if chosen in set(grouping.make(cohort).dropna().unique()):
        return chosen
    ui.not_shown(f"Reference {chosen} for {grouping.label}", "no patient of this selection is in that group; the default reference is used instead")
    return None


ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("models")
    st.stop()

st.header("Landmark & Cox")
result = ui.filtered()
if ui.enough_patients(result):
    cohort = result.subset
    state = ui.filter_state_from_widgets()
    groupings = ui.grouping_options()
    present = ui.presentation()
    tab_lm, tab_cox, tab_rmst = st.tabs(["Landmark analysis", "Cox regression", "Restricted mean survival time"])

    with tab_lm:
        post = {k: g for k, g in groupings.items() if g.post_baseline}
        if not post:
            st.info("No grouping known only after treatment start (response, adverse events) splits this dataset.")
        else:
            c1, c2, c3 = st.columns(3)
            endpoint = url.radio(c1, "Endpoint", list(ENDPOINTS), key="lm_endpoint", param="lm_end", default="PFS", horizontal=True)
            group_key = url.selectbox(c2, "Grouping", list(post), key="lm_group", param="lm_by", default=next(iter(post)),
                                      format_func=lambda k: post[k].label)
            suggested = min(max(float(suggest_landmark(cohort, endpoint)), 0.5), 60.0)
            landmark = url.decimal(c3.number_input, "Landmark (months after ICI start)", key="lm_months", param="lm_at",
                                   default=suggested, min_value=0.5, max_value=60.0, step=0.5)
            st.caption(ui.md(f"{LANDMARK_RULE} Suggested for this selection and endpoint: {suggested:g} months."))
            use_dates = False
            if group_key == "responder" and has_response_dates(cohort):
                use_dates = url.toggle(st, "Classify response at the landmark from the response dates", key="lm_dates",
                                       param="lm_dates", default=True)
            options = LandmarkOptions(endpoint=endpoint, grouping=group_key, landmark=landmark, use_response_dates=use_dates)
            render_view(ui.view("landmark_view", landmark_view, cohort, options), presentation=present)

    with tab_cox:
        options_all = ui.memo("cox_options", (state.line_cut,), lambda: covariate_options(ui.dataset_derived(), state.line_cut))
        c1, c2, c3 = st.columns(3)
        cox_endpoint = url.radio(c1, "Endpoint", list(ENDPOINTS), key="cox_endpoint", param="cox_end", default="PFS", horizontal=True)
        mode = url.radio(c2, "Model", list(COX_MODES), key="cox_mode", param="cox_model", default="univariable", horizontal=True,
                         format_func=COX_MODES.get)
        min_size = url.number(c3, "Minimum group size", key="cox_min", param="cox_min", default=5, min_value=1, max_value=50)
        covs = url.multiselect(st, "Covariates", list(options_all), key="cox_covs", param="cox_vars",
                               default=[k for k in ("line_2", "age") if k in options_all], format_func=options_all.get)
        c4, c5 = st.columns(2)
        stratify = url.toggle(c4, "Stratify by centre (separate baseline hazard per centre)", key="cox_strata", param="cox_strata",
                              disabled="center" not in cohort)
        transform = url.selectbox(
            c5, "Proportional-hazards test: time transform", list(TRANSFORMS), key="cox_ph_transform", param="cox_ph",
            default=DEFAULT_TRANSFORM, format_func=lambda k: f"{k} ({TRANSFORMS[k]})",
            help="g(t) in the Grambsch-Therneau test (R's cox.zph): the test asks whether each hazard ratio drifts with g(t).",
        )
        refs = {}
        ref_cols = st.columns(3)
        for i, key in enumerate(k for k in covs if k in groupings):
            if (ref := reference_choice(ref_cols[i % 3], key, f"cox_ref_{key}")) is not None:
                refs[key] = ref
        options = CoxOptions(endpoint=cox_endpoint, mode=mode, covariates=tuple(covs), references=tuple(sorted(refs.items())),
                             stratify=stratify, min_group_size=min_size, ph_transform=transform)
        render_view(ui.view("cox_view", cox_view, cohort, options), presentation=present)

    with tab_rmst:
        c1, c2, c3 = st.columns(3)
        r_endpoint = url.radio(c1, "Endpoint", list(ENDPOINTS), key="rmst_endpoint", param="rmst_end", default="PFS", horizontal=True)
        r_choice = url.selectbox(
            c2, "Compare by", [ui.NO_GROUPING, *groupings], key="rmst_group", param="rmst_by", default=ui.NO_GROUPING,
            format_func=lambda k: "No grouping (all patients)" if k == ui.NO_GROUPING else groupings[k].label,
        )
        r_group = None if r_choice == ui.NO_GROUPING else r_choice
        if (problem := ui.grouping_problem(result, r_group)) is not None:
            ui.not_shown(f"Compare by {groupings[r_group].label}", problem)
            r_group = None
        try:
            limit = ui.memo("rmst_limit", (r_endpoint, r_group), lambda: horizon_limit(cohort, r_endpoint, r_group, line_cut=state.line_cut))
        except SurvivalInputError as exc:
            st.error(ui.md(exc))
        else:
            r_ref = reference_choice(c3, r_group, "rmst_ref", label="Reference group") if r_group is not None else None
            if limit < RMST_MIN_HORIZON:
                st.info(ui.md(
                    f"Restricted mean survival time needs a horizon of at least {RMST_MIN_HORIZON:g} month within every "
                    f"group's follow-up; in this selection the longest possible horizon is {limit:.2g} months."
                ))
            else:
                tau = url.decimal(
                    st.slider, "Horizon τ (months)", key="rmst_tau", param="rmst_tau", default=min(12.0, float(limit)),
                    min_value=0.5, max_value=float(limit), step=0.5,
                    help="RMST is the area under the Kaplan-Meier curve up to τ. τ may not exceed the follow-up of any group.",
                )
                options = RmstOptions(endpoint=r_endpoint, grouping=r_group, reference=r_ref, tau=tau)
                render_view(ui.view("rmst_view", rmst_view, cohort, options), presentation=present)
