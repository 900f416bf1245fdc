"""collect_report gathers the current view: the right sections, the same numbers as the core
(pinned to lifelines for the medians), the user's options, and notes instead of crashes."""

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from sarcoma.filters import FilterState, apply_filters
from sarcoma.groupings import make_groupings
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.report.collect import (
    ReportOptionError,
    ReportOptions,
    cell_text,
    collect_report,
    display_frame,
    options_from_state,
    report_file_name,
    slug,
)
from sarcoma.subgroups import subgroup_table
from sarcoma.synthetic_seed import build_seed_cohort


@pytest.fixture(scope="module")
def seed():
    return build_seed_cohort()


@pytest.fixture(scope="module")
def report(seed):
    cohort, ae = seed
    result = apply_filters(cohort, FilterState(histotypes=("UPS", "LMS", "LPS", "Other")))
    options = ReportOptions(survival_grouping="line_2", table1_by="sex")
    return result, options, collect_report(result, options, cohort_name="Seed study", adverse_events=ae)


def test_sections_in_report_order(report):
    _, _, (sections, meta) = report
    keys = [s.key for s in sections]
    assert keys == [
        "table1", "km-pfs", "km-pfs-table", "km-pfs-at-risk", "km-os", "km-os-table", "km-os-at-risk",
        "subgroups", "forest-pfs", "forest-os", "response", "waterfall", "ae-summary", "discontinuation",
        "biomarkers", "methods",
    ]
    kinds = {s.key: s.kind for s in sections}
    assert kinds["km-pfs"] == kinds["forest-os"] == kinds["waterfall"] == "figure"
    assert kinds["table1"] == kinds["subgroups"] == kinds["response"] == "table"
    assert kinds["methods"] == "text"


def test_meta_has_n_of_n_and_filters(report):
    result, _, (_, meta) = report
    assert (meta.n, meta.n_total) == (result.n, 72) and meta.n == 52  # 12 UPS + 12 LMS + 10 LPS + 18 Other
    assert meta.n_line() == "n = 52 of 72 patients"
    assert meta.filters == tuple(result.describe()) and "Histotype" in meta.filters[0]
    assert meta.cohort_name == "Seed study"


def test_km_numbers_are_the_cores_and_lifelines(report):
    result, _, (sections, _) = report
    by_key = {s.key: s for s in sections}
    subset = result.subset
    line = make_groupings()["line_2"].make(subset)
    for endpoint, (tcol, ecol) in {"PFS": ("pfs_months", "pfs_event"), "OS": ("os_months", "os_event")}.items():
        table = by_key[f"km-{endpoint.lower()}-table"].table.set_index("Group")
        core = survival_by_group(subset, endpoint, "line_2")
        assert table["Median (95% CI), months"].to_dict() == core.table.set_index("Group")["Median (95% CI), months"].to_dict()
        for level in table.index:
            part = subset[line == level]
            kmf = KaplanMeierFitter().fit(part[tcol], part[ecol])
            median_text = table.loc[level, "Median (95% CI), months"]
            median = kmf.median_survival_time_
            sf = kmf.survival_function_.iloc[:, 0]
            flat = sf.index[np.isclose(sf.to_numpy(), 0.5)]
            if len(flat):
                # S(t) is exactly 0.5 over a stretch: R (and our core) report the midpoint of the
                # stretch, lifelines its start.
                later = kmf.event_table.index[(kmf.event_table.index > flat[0]) & (kmf.event_table["observed"] > 0)]
                median = (flat[0] + later[0]) / 2 if len(later) else math.inf
            expected = "not reached" if math.isinf(median) else f"{median:.1f}"
            assert median_text.startswith(expected)
        # The figure's annotation carries the p-value, equal to lifelines' log-rank test.
        lr = multivariate_logrank_test(subset[tcol], line, subset[ecol])
        fig = by_key[f"km-{endpoint.lower()}"].figure
        annotations = " ".join(a.text for a in fig.layout.annotations)
        assert format_p(lr.p_value) in annotations
        assert format_p(lr.p_value) in by_key[f"km-{endpoint.lower()}"].notes[0]
        at_risk = by_key[f"km-{endpoint.lower()}-at-risk"].table
        assert at_risk.to_numpy().tolist() == core.at_risk.to_numpy().tolist()


def test_subgroup_section_uses_the_chosen_options(seed):
    cohort, _ = seed
    result = apply_filters(cohort, FilterState())
    options = ReportOptions(subgroup_variables=("sex", "line_2"), adjust="bh", subgroup_test="breslow")
    sections, _ = collect_report(result, options)
    section = next(s for s in sections if s.key == "subgroups")
    expected = subgroup_table(cohort, groupings=["sex", "line_2"], test="breslow", adjust="bh").display()
    pd.testing.assert_frame_equal(section.table.reset_index(drop=True), expected.reset_index(drop=True))
    assert "p (Benjamini-Hochberg)" in section.table.columns
    assert section.notes[0].startswith("4 tests in this table")


def test_hazard_ratio_forest_option(seed):
    cohort, _ = seed
    result = apply_filters(cohort, FilterState())
    sections, _ = collect_report(result, ReportOptions(subgroup_variables=("sex",), forest_kind="hr"))
    forest = next(s for s in sections if s.key == "forest-os")
    assert forest.figure.layout.xaxis.type == "log" and "hazard ratio" in forest.figure.layout.title.text.lower()


def test_response_section_follows_denominator(seed):
    cohort, _ = seed
    result = apply_filters(cohort, FilterState())
    for den, total in (("evaluable", 64), ("all", 72)):
        sections, _ = collect_report(result, ReportOptions(denominator=den, response_by="regimen_class"))
        response = next(s for s in sections if s.key == "response")
        row = response.table.set_index("Regimen class").loc["Total"]
        assert row["Denominator"] == total  # the seed: 64 evaluable of 72 treated
        assert response.title == "Best response by Regimen class"


def test_missing_data_becomes_notes_not_errors(seed):
    cohort, _ = seed
    bare = cohort.drop(columns=["best_response", "best_pct_change", "any_ae", "max_ae_grade", "ae_delay", "ae_discontinuation"])
    sections, _ = collect_report(apply_filters(bare, FilterState()))
    by_key = {s.key: s for s in sections}
    assert "no best-response data" in by_key["response"].text
    assert "waterfall" not in by_key
    assert by_key["ae-summary"].text.startswith("Not available for this selection:")
    methods = by_key["methods"].text
    assert "Clopper-Pearson" not in methods  # no response analysis, so the paragraph does not claim one


def test_adverse_events_are_restricted_to_the_selection(seed):
    cohort, ae = seed
    result = apply_filters(cohort, FilterState(sexes=("Female",)))
    sections, _ = collect_report(result, adverse_events=ae)
    ae_section = next(s for s in sections if s.key == "ae-summary")
    assert ae_section.kind == "table"  # no "patients not in the cohort" error


def test_data_quality_sections(tmp_path):
    csv = (
        "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event\n"
        "P1,UPS,1,pembrolizumab,3.2,1,10.5,0\nP2,LMS,0,nivolumab,,1,4.1,1\nP3,LPS,2,pembrolizumab,8.0,0,12.0,0\n"
    )
    path = tmp_path / "centre.csv"
    path.write_text(csv, encoding="utf-8")
    cohort, quality = load_cohort(path)
    sections, _ = collect_report(apply_filters(cohort, FilterState()), quality=quality)
    by_key = {s.key: s for s in sections}
    counts = by_key["quality"].table
    assert counts.set_index("endpoint").loc["PFS", "excluded"] == 1  # P2 has no PFS time
    assert any("Read 3 patient rows" in n for n in by_key["quality"].notes)
    assert by_key["quality-issues"].in_slides is False
    assert (by_key["quality-issues"].table["patient_id"] == "P2").any()


def test_options_from_page_state():
    state = {
        "surv_group": "histotype", "surv_test": "peto", "surv_ci": "spss", "surv_bands": True, "surv_strata": True,
        "surv_min": 3, "sg_adjust": "none", "sg_vars": ["sex", "line"], "sg_test": "breslow", "sg_ci": "log",
        "sg_min": 4, "sg_forest_kind": "hr", "resp_by": "regimen", "resp_den": "all", "resp_outcome": "best_response",
        "cohort_by": "sex", "line_cut": 4, "present": True, "unrelated": "ignored",
    }
    o = options_from_state(state)
    assert (o.survival_grouping, o.test, o.conf_type, o.show_ci, o.stratify_by_center, o.min_group_size) == ("histotype", "peto", "spss", True, True, 3)
    assert (o.adjust, o.subgroup_variables, o.subgroup_test, o.subgroup_conf_type, o.subgroup_min_group_size, o.forest_kind) == ("none", ("sex", "line"), "breslow", "log", 4, "hr")
    assert (o.response_by, o.denominator, o.outcome, o.table1_by, o.line_cut, o.presentation) == ("regimen", "all", "best_response", "sex", 4, True)
    assert options_from_state({}) == ReportOptions()
    assert options_from_state({"surv_group": None}).survival_grouping is None
    assert options_from_state({"surv_group": "all"}).survival_grouping is None
    assert options_from_state({"surv_test": "peto"}, test="breslow").test == "breslow"


@pytest.mark.parametrize(("kw", "match"), [
    ({"test": "cox"}, "survival test"), ({"adjust": "bonferroni"}, "multiplicity"), ({"survival_grouping": "eye_colour"}, "survival grouping"),
    ({"response_by": "shoe_size"}, "response grouping"), ({"min_group_size": 0}, "at least 1"), ({"forest_kind": "bars"}, "forest"),
])
def test_bad_options_are_plain_errors(kw, match):
    with pytest.raises(ReportOptionError, match=match):
        ReportOptions(**kw)


def test_collect_needs_a_filter_result(seed):
    cohort, _ = seed
    with pytest.raises(ReportOptionError, match="FilterResult"):
        collect_report(cohort)


def test_display_helpers():
    assert [cell_text(v) for v in (None, float("nan"), True, 3, 3.0, 0.123456, 12345.6, "x")] == ["", "", "Yes", "3", "3", "0.1235", "12,346", "x"]
    header, rows = display_frame(pd.DataFrame({"n": [1]}, index=pd.Index(["UPS"], name="Histotype")))
    assert header == ["Histotype", "n"] and rows == [["UPS", "1"]]
    assert slug("KM — PFS (by line)") == "km-pfs-by-line"


def test_file_name_is_safe(report):
    _, _, (_, meta) = report
    name = report_file_name(meta, "html")
    assert name.endswith(".html") and name.startswith("tumour-board-report_seed-study_")
    assert all(c.isalnum() or c in "-_." for c in name)
