"""collect_report gathers the current view: the right sections, the same numbers as the core
(pinned to lifelines for the medians), the user's options, and notes instead of crashes."""

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from sarcoma.filters import FilterState, apply_filters
from sarcoma.formatting import p_value_text
from sarcoma.groupings import make_groupings
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.report.collect import (
    ReportOptionError,
    ReportOptions,
    cell_text,
    collect_report,
    deck_sections,
    display_frame,
    report_file_name,
    slug,
)
from sarcoma.subgroups import subgroup_table
from sarcoma.synthetic_seed import build_seed_cohort
from sarcoma.views.cohort import CohortOptions
from sarcoma.views.response import ResponseOptions
from sarcoma.views.subgroups import SubgroupOptions
from sarcoma.views.survival import SurvivalOptions


@pytest.fixture(scope="module")
def seed():
    return build_seed_cohort()


@pytest.fixture(scope="module")
def report(seed):
    cohort, ae = seed
    result = apply_filters(cohort, FilterState(histotypes=("UPS", "LMS", "LPS", "Other")))
    options = ReportOptions(survival=SurvivalOptions(grouping="line_2"), table1=CohortOptions(by="sex"))
    return result, options, collect_report(result, options, cohort_name="Seed study", adverse_events=ae)


def test_sections_in_report_order(report):
    _, _, (sections, meta) = report
    keys = [s.key for s in sections]
    # Since issue 14 the seed cohort has response and treatment end dates: DoR and TTF curves
    # (the registry's other time-to-event endpoints) and the response dynamics view are reported.
    assert keys == [
        "table1", "km-pfs", "km-pfs-table", "km-pfs-risk", "km-os", "km-os-table", "km-os-risk",
        "km-dor", "km-dor-table", "km-dor-risk", "km-ttf", "km-ttf-table", "km-ttf-risk",
        "subgroups", "forest-pfs", "forest-os", "response-table", "waterfall", "swimmer", "response-dynamics",
        "ae-summary", "ae-terms", "discontinuation", "biomarkers", "biomarkers-responders", "methods",
    ]
    kinds = {s.key: s.kind for s in sections}
    assert kinds["km-pfs"] == kinds["forest-os"] == kinds["waterfall"] == "figure"
    assert kinds["table1"] == kinds["subgroups"] == kinds["response-table"] == "table"
    assert kinds["methods"] == "text"
    # The default deck: <= 15 slides with the title; the long tables stay in the HTML and XLSX.
    # The swimmer plot is the figure tumour boards look at for ICI cohorts (issue 14).
    assert [s.key for s in deck_sections(sections)] == [
        "table1", "km-pfs", "km-os", "forest-pfs", "forest-os", "response-table", "waterfall", "swimmer", "ae-summary",
        "discontinuation", "methods",
    ]


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
        # The figure's subtitle carries the p-value, equal to lifelines' log-rank test.
        lr = multivariate_logrank_test(subset[tcol], line, subset[ecol])
        fig = by_key[f"km-{endpoint.lower()}"].figure
        assert format_p(lr.p_value) in fig.layout.title.subtitle.text
        assert format_p(lr.p_value) in by_key[f"km-{endpoint.lower()}"].notes[0]
        at_risk = by_key[f"km-{endpoint.lower()}-risk"].table
        assert at_risk.to_numpy().tolist() == core.at_risk.to_numpy().tolist()


def test_subgroup_section_uses_the_chosen_options(seed):
    cohort, _ = seed
    result = apply_filters(cohort, FilterState())
    options = ReportOptions(subgroups=SubgroupOptions(variables=("sex", "line_2"), adjust="bh", test="breslow"))
    sections, _ = collect_report(result, options)
    section = next(s for s in sections if s.key == "subgroups")
    core = subgroup_table(cohort, groupings=["sex", "line_2"], test="breslow", adjust="bh")
    shown = section.table[section.table["p"] != ""]
    assert shown["p"].tolist() == [p_value_text(p) for p in core.tests["p_value"]]
    assert shown["p (Benjamini-Hochberg-adjusted)"].tolist() == [p_value_text(p) for p in core.tests["p_adjusted"]]
    assert section.notes[0].startswith("4 tests in this table (Breslow")


def test_hazard_ratio_forest_option(seed):
    cohort, _ = seed
    result = apply_filters(cohort, FilterState())
    sections, _ = collect_report(result, ReportOptions(subgroups=SubgroupOptions(variables=("sex",), forest_kind="hr")))
    forest = next(s for s in sections if s.key == "forest-os")
    assert forest.figure.layout.xaxis.type == "log" and "hazard ratio" in forest.figure.layout.title.text.lower()


def test_response_section_follows_denominator(seed):
    cohort, _ = seed
    result = apply_filters(cohort, FilterState())
    for den, header, total in (("evaluable", "Evaluable (CR+PR+SD+PD)", 64), ("all", "All treated", 72)):
        sections, _ = collect_report(result, ReportOptions(response=ResponseOptions(denominator=den, by="regimen_class")))
        response = next(s for s in sections if s.key == "response-table")
        row = response.table.set_index("Regimen class").loc["Total"]
        assert row[header] == total  # the seed: 64 evaluable of 72 treated
        assert response.title == "Best response by regimen class"


def test_missing_data_becomes_notes_not_errors(seed):
    cohort, _ = seed
    bare = cohort.drop(columns=["best_response", "best_pct_change", "any_ae", "max_ae_grade", "ae_delay", "ae_discontinuation"])
    sections, _ = collect_report(apply_filters(bare, FilterState()))
    by_key = {s.key: s for s in sections}
    assert "no best-response data" in by_key["response"].text
    assert "waterfall" not in by_key
    assert "ae-summary" not in by_key  # the safety view says why instead of drawing the table
    assert any(n.startswith("Adverse events: not available for this file.") for n in by_key["discontinuation"].notes)
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


@pytest.mark.parametrize(("make", "match"), [
    (lambda: SurvivalOptions(test="cox"), "test"), (lambda: SubgroupOptions(adjust="bonferroni"), "multiplicity"),
    (lambda: SurvivalOptions(grouping="eye_colour"), "grouping"), (lambda: ResponseOptions(by="shoe_size"), "response grouping"),
    (lambda: SurvivalOptions(min_group_size=0), "at least 1"), (lambda: SubgroupOptions(forest_kind="bars"), "forest"),
    (lambda: ReportOptions(survival="histotype"), "SurvivalOptions"), (lambda: ReportOptions(line_cut=1), "cut"),
])
def test_bad_options_are_plain_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


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
