"""The survival view: the test line and the two-group hazard ratio are the core's numbers and
R's (tests/reference/out/coxph_coef.csv: coxph(Surv(pfs_months, pfs_event) ~ line3) on the
sample cohort); a grouping that cannot apply stays chosen and is explained."""

from pathlib import Path

import pandas as pd
import pytest

from sarcoma.filters import FilterState, apply_filters
from sarcoma.formatting import hr_text
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import survival_by_group
from sarcoma.views import ViewContext
from sarcoma.views.survival import SurvivalOptions, ViewOptionError, survival_view

ROOT = Path(__file__).resolve().parent.parent
R_COX = ROOT / "tests" / "reference" / "out" / "coxph_coef.csv"


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(ROOT / "sample_data" / "sample_cohort.csv")[0]


def test_two_groups_print_the_log_rank_line_and_r_hazard_ratio(cohort):
    view = survival_view(cohort, SurvivalOptions(grouping="line_2"), ViewContext(dataset=cohort))
    core = survival_by_group(cohort, "PFS", "line_2")
    assert view.lines[0] == core.test_label().splitlines()[0]
    r = pd.read_csv(R_COX).set_index(["model", "term"]).loc[("sample_pfs_line3", "line3")]
    assert view.lines[1] == f"HR ≥3 vs 1-2: {hr_text(r['hr'], r['lower'], r['upper'])} (Cox; Wald p = {r['p']:.3f})"
    legend = [tr.name for tr in view.figures[0].figure.data if tr.showlegend is not False]
    assert legend[:2] == [f"{lv} (n = {c.n}; median {c.median:.1f} mo)" for lv, c in core.curves.items()]


def test_a_grouping_a_filter_leaves_with_one_level_is_explained(cohort):
    ups = apply_filters(cohort, FilterState(histotypes=("UPS",))).subset
    view = survival_view(ups, SurvivalOptions(grouping="histotype"), ViewContext(dataset=cohort))
    assert view.warnings[0].startswith("Compare by Histotype: not shown for this selection")
    assert view.title == "Progression-free survival — All patients" and not view.lines


def test_colours_follow_the_whole_dataset(cohort):
    full = survival_view(cohort, SurvivalOptions(grouping="center"), ViewContext(dataset=cohort))
    some = apply_filters(cohort, FilterState(centers=tuple(sorted(cohort["center"].unique())[2:5]))).subset
    part = survival_view(some, SurvivalOptions(grouping="center"), ViewContext(dataset=cohort))

    def colours(view):
        return {tr.meta: tr.line.color for tr in view.figures[0].figure.data if tr.mode == "lines" and tr.showlegend is not False}

    assert all(colours(full)[k] == v for k, v in colours(part).items())


def test_unknown_options_are_refused_in_plain_words():
    with pytest.raises(ViewOptionError, match="Unknown test 'wilcox'"):
        SurvivalOptions(test="wilcox")
