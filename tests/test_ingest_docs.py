"""The template and the data dictionary are generated from the schema and stay in sync with it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sarcoma import schema
from sarcoma.endpoints import endpoint_data
from sarcoma.ingest import data_dictionary_markdown, load_cohort, template_csv

ROOT = Path(__file__).resolve().parents[1]


def test_committed_data_dictionary_equals_the_generated_text() -> None:
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary_markdown(), (
        "docs/data-dictionary.md is stale: regenerate it with "
        "python -c 'from sarcoma.ingest import data_dictionary_markdown as d; "
        "open(\"docs/data-dictionary.md\", \"w\").write(d())'"
    )


def test_data_dictionary_documents_every_column_and_the_survival_rule() -> None:
    text = data_dictionary_markdown()
    for column in (*schema.COLUMNS, *schema.AE_COLUMNS):
        assert f"| `{column.name}` |" in text
    assert "30.4375" in text and "earliest of progression and death" in text


def test_data_dictionary_states_the_response_date_rules() -> None:
    text = data_dictionary_markdown()
    assert "| `response_date` | date | no |" in text
    assert "date of first response" in text and "cr pr date" in text
    for rule in ("SD, PD or NE", "before treatment start", "death, progression", "last follow-up date",
                 "never changes the response rate", "`Response` holding dates is the response date"):
        assert rule in " ".join(text.split()), rule


def test_committed_template_equals_template_csv() -> None:
    assert (ROOT / "sample_data" / "template.csv").read_bytes() == template_csv()


def test_template_header_is_the_canonical_columns() -> None:
    header = template_csv().decode("utf-8").splitlines()[0].split(",")
    assert header == [c for c in schema.COLUMN_NAMES if c != "histotype_original"]


def test_template_example_loads_cleanly_and_its_months_match_its_dates() -> None:
    cohort, report = load_cohort(template_csv())
    assert report.issues.empty and report.warnings == [] and report.unmatched_columns == []
    # The example has a response date and a treatment end, so DoR and TTF are reported too.
    assert report.analysed == {"PFS": 1, "OS": 1, "Response": 1, "DoR": 1, "TTF": 1}
    row = cohort.iloc[0]
    # Hand calculation: 2021-03-15 -> 2021-08-02 is 140 days, -> 2022-06-30 is 472 days.
    assert row["pfs_months"] == pytest.approx(140 / 30.4375, abs=0.05)
    assert row["os_months"] == pytest.approx(472 / 30.4375, abs=0.05)
    assert row["line_of_therapy"] == row["prior_lines"] + 1
    # The example is a PR with its first response at the first scan, 8 weeks in (56 days from
    # 2021-03-15 is 2021-05-10), before the progression on 2021-08-02.
    assert row["best_response"] == "PR"
    assert row["response_date"] == pd.Timestamp("2021-05-10")
    assert row["treatment_start"] < row["response_date"] < row["progression_date"]
    assert row["regimen_class"] == "ICI + TKI"
    # Stopped at the progression: DoR 2021-05-10 -> 2021-08-02 = 84 days, TTF 140 days, both events.
    assert endpoint_data(cohort, "DoR").iloc[0].tolist() == [pytest.approx(84 / 30.4375), 1]
    assert endpoint_data(cohort, "TTF").iloc[0].tolist() == [pytest.approx(140 / 30.4375), 1]
    for column in schema.COLUMNS:
        if column.allowed and column.name in cohort:
            assert row[column.name] in column.allowed
