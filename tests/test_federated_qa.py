"""Defects a QA walk of the pooling pages found (issue 15 follow-up), pinned on the core: what a
pooled View says about the pool, its groupings and its methods. The expected numbers come from
the pool's own core functions (themselves pinned to the patient rows and R in
test_federated_sample.py); these tests pin the words and which numbers are shown."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from sarcoma.federated import export_aggregates, pool, read_aggregates
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p
from sarcoma.views import ViewContext
from sarcoma.views.pooled import pooled_response_view, pooled_subgroup_view, pooled_survival_view
from sarcoma.views.response import ResponseOptions
from sarcoma.views.subgroups import SubgroupOptions
from sarcoma.views.survival import SurvivalOptions

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
A, B = "Centre A (synthetic)", "Centre B (synthetic)"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    data, _ = load_cohort(SAMPLE)
    return data


def centre_file(cohort: pd.DataFrame, centre: str, min_cell: int = 5, in_session: bool = False):
    rows = cohort[cohort["center"] == centre]
    f = read_aggregates(export_aggregates(rows, centre=centre, min_cell=min_cell), f"{centre}.json")
    return dataclasses.replace(f, in_session=True) if in_session else f


@pytest.fixture(scope="module")
def ctx() -> ViewContext:
    return ViewContext(dataset=None, line_cut=2)


def test_one_centre_is_not_called_centres(cohort, ctx):
    pooled = pool([centre_file(cohort, A)])
    view = pooled_survival_view(pooled, SurvivalOptions(endpoint="PFS"), ctx)
    assert view.title.endswith("(pooled, 1 centre)")
    assert pooled_subgroup_view(pooled, SubgroupOptions(variables=("regimen_class",)), ctx).title.endswith("(pooled, 1 centre)")
    two = pool([centre_file(cohort, A), centre_file(cohort, B)])
    assert pooled_survival_view(two, SurvivalOptions(endpoint="PFS"), ctx).title.endswith("(pooled, 2 centres)")


def test_the_session_own_file_is_not_compared_for_minimum_cell_size(cohort):
    shared = centre_file(cohort, A, min_cell=5)
    own = centre_file(cohort, B, min_cell=1, in_session=True)
    assert not any("different minimum cell sizes" in n for n in pool([shared, own]).notes)
    # Two shared files with different cell sizes are still named.
    other = centre_file(cohort, B, min_cell=6)
    assert any("different minimum cell sizes" in n for n in pool([shared, other]).notes)


def test_response_by_a_grouping_no_centre_shared_says_so_without_a_zero_table(cohort, ctx):
    pooled = pool([centre_file(cohort, A), centre_file(cohort, B)])
    assert all(f.response.by["histotype"].withheld for f in pooled.files)  # the QA walk's case: too few per histotype
    view = pooled_response_view(pooled, ResponseOptions(by="histotype"), ctx)
    assert not view.tables
    message = next(w for w in view.warnings if w.startswith("No centre shared best-response counts by histotype"))
    assert "Groupings the centres shared: " in message and "Regimen class" in message and "Histotype" not in message
    assert not any("one group" in n.lower() for n in view.notes)


def test_response_with_a_single_shared_group_names_it(cohort, ctx):
    pooled = pool([centre_file(cohort, A)])  # one centre: by centre is one group
    view = pooled_response_view(pooled, ResponseOptions(by="center"), ctx)
    assert f"Only one group ({A}): no association test." in view.notes
    assert len(view.tables) == 1


def test_pooled_survival_by_centre_is_not_stratified_by_centre(cohort, ctx):
    pooled = pool([centre_file(cohort, A), centre_file(cohort, B)])
    view = pooled_survival_view(pooled, SurvivalOptions(endpoint="PFS", grouping="center", stratify=True), ctx)
    test = pooled.logrank("PFS", "center", strata=None)
    assert view.lines[0] == f"Log-rank: χ² = {test.statistic:.2f}, df = {test.df}, {format_p(test.p_value)}"
    assert "Not stratified: the comparison is between centres." in view.notes
    assert not any("not computed" in n for n in view.notes)


def test_pooled_report_methods_say_each_sentence_once_and_name_the_endpoint_of_each_median_rule(cohort):
    from sarcoma.report.pooled import SENTENCE_END, PooledReportOptions, collect_pooled_report

    pooled = pool([centre_file(cohort, A), centre_file(cohort, B)])
    sections, _ = collect_pooled_report(pooled, PooledReportOptions(survival=SurvivalOptions(stratify=True, grouping="line_2")))
    text = next(s.text for s in sections if s.key == "methods")
    sentences = SENTENCE_END.split(text)
    assert len(sentences) == len(set(sentences)), [s for s in sentences if sentences.count(s) > 1]
    assert text.count("Kaplan-Meier estimates with Greenwood variance") == 1
    assert text.count("Groups compared with the log-rank test") == 1
    rules = [s for s in sentences if "S(t) = 0.5 exactly" in s]
    assert rules and all(s.split(":")[0] in {f"Median {e}{g}" for e in ("PFS", "OS", "DoR", "TTF") for g in ("", " of 1-2", " of ≥3")}
                         for s in rules), rules
    assert "Median PFS of 1-2: S(t) = 0.5 exactly from 8.7 months" in text  # the QA walk's unnamed note, now named


def test_pooled_subgroups_name_every_chosen_variable_not_shown_and_offer_the_endpoints(cohort, ctx):
    pooled = pool([centre_file(cohort, A), centre_file(cohort, B)])
    chosen = ("histotype", "disease_stage", "head_neck", "sex")
    view = pooled_subgroup_view(pooled, SubgroupOptions(variables=chosen, endpoints=("PFS", "TTF", "DoR")), ctx)
    for label in ("Histotype", "Disease stage", "Primary site (head and neck vs other)"):
        assert f"{label}: not shown, because no centre could share it: every centre's groups by it were below the centre's " \
               "minimum cell size (disclosure control)." in view.warnings
    assert "DoR: not by Sex, because no centre could share a DoR table by it (groups below the centres' minimum cell size)." in view.warnings
    shown = view.tables[0].table
    assert set(shown["Variable"][shown["Variable"] != ""]) == {"Sex"}
    assert set(shown["Endpoint"][shown["Endpoint"] != ""]) == {"PFS", "TTF"}  # the chosen endpoints, not PFS and OS


def test_pooled_age_row_names_the_bands_a_centre_merged(cohort):
    files = [centre_file(cohort, A), centre_file(cohort, B)]
    assert [f.table1["age"]["bands"] for f in files] == [[(None, 60.0, 6), (60.0, None, 5)], [(None, 50.0, 7), (50.0, None, 7)]]
    table, _ = pool(files).table1(by_centre=True)
    row = table[table["Characteristic"] == "Age at ICI initiation (years)"].iloc[0]
    assert row["level"] == f"median (range) from the shared bands ({A}: <60, ≥60; {B}: <50, ≥50)"
    assert "5-year" not in row["level"]


def test_pooled_cohort_by_centre_has_a_column_per_centre_and_says_so(cohort, ctx):
    from sarcoma.views.cohort import CohortOptions
    from sarcoma.views.pooled import pooled_cohort_view

    pooled = pool([centre_file(cohort, A), centre_file(cohort, B)])
    view = pooled_cohort_view(pooled, CohortOptions(by="center"), ctx)
    assert list(view.tables[0].table.columns)[2:] == ["All (N = 25)", f"{A} (N = 11)", f"{B} (N = 14)"]
    assert view.lines == (f"Columns: All, then one per centre ({A}, {B}); scroll the table sideways to see every centre.",)
    assert pooled_cohort_view(pooled, CohortOptions(), ctx).lines == ()


def test_a_table_wider_than_the_page_keeps_its_label_columns_pinned(cohort, ctx):
    from pages._render import _widths
    from sarcoma.views.cohort import CohortOptions
    from sarcoma.views.pooled import pooled_cohort_view

    pooled = pool([centre_file(cohort, c) for c in (A, B, "Centre C (synthetic)", "Centre D (synthetic)")])
    table = pooled_cohort_view(pooled, CohortOptions(by="center"), ctx).tables[0].table
    config = _widths(table)
    assert [c for c, v in config.items() if v.get("pinned")] == ["Characteristic", "level"]
    # Narrow enough that the pinned labels leave room for the centre columns (checked in Chromium
    # at 1400 px: the labels stay while the centre columns scroll).
    assert config["Characteristic"]["width"] <= 260 and all(v["width"] <= 260 for v in config.values())
    narrow = _widths(pooled_cohort_view(pooled, CohortOptions(), ctx).tables[0].table.iloc[:, :2].head(3))
    assert not any(v.get("pinned") for v in narrow.values())
