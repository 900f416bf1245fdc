"""Table 1: printed strings, SPSS rounding, missing rows and group tests against scipy."""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sarcoma.characteristics import (
    CharacteristicsError,
    available_variables,
    characteristics_long,
    characteristics_table,
    characteristics_tests,
    format_median_range,
    format_n_pct,
    format_number,
    format_p,
    pct_half_up,
)
from sarcoma.ingest import load_cohort


def small_cohort() -> pd.DataFrame:
    """Ten hand-made patients; every expected string below is counted by hand from this."""
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(1, 11)],
            "sex": ["Male", "Male", "Female", "Male", "Female", None, "Male", "Female", "Male", "Male"],
            "age": [16, 94, 56, 40, 61, np.nan, 70, 33, 58, 45],
            "histotype": ["UPS", "UPS", "LMS", "LMS", "LMS", "Angiosarcoma", "UPS", "Other", "ASPS", "UPS"],
            "met_lung": pd.array([True, True, False, True, None, False, True, False, True, False], dtype="boolean"),
            "met_liver": pd.array([False] * 9 + [True], dtype="boolean"),
            "periop_chemo": pd.array([True, False, False, True, False, False, False, True, False, False], dtype="boolean"),
            "prior_lines": pd.array([0, 1, 2, 2, 8, 3, 1, 0, 2, 5], dtype="Int64"),
            "line_of_therapy": pd.array([1, 2, 3, 3, 9, 4, 2, 1, 3, 6], dtype="Int64"),
            "regimen_class": ["ICI monotherapy"] * 6 + ["ICI + TKI"] * 4,
        }
    )


def cell(table: pd.DataFrame, characteristic: str, level: str, column: str) -> str:
    """The printed cell of a display table, finding the section by its header row."""
    start = table.index[table["Characteristic"] == characteristic][0]
    for i in range(start, len(table)):
        if i > start and table.at[i, "Characteristic"] not in ("",):
            break
        if table.at[i, "level"] == level:
            return table.at[i, column]
    raise KeyError((characteristic, level))


def row_of(table: pd.DataFrame, characteristic: str, level: str) -> pd.Series:
    start = table.index[table["Characteristic"] == characteristic][0]
    for i in range(start, len(table)):
        if i > start and table.at[i, "Characteristic"] != "":
            break
        if table.at[i, "level"] == level:
            return table.loc[i]
    raise KeyError((characteristic, level))


# --------------------------------------------------------------------------- formatting


def test_seed_strings_from_counts():
    # Seed Table 1 (N = 72): male 44 -> "44 (61.1)", female 28 -> "28 (38.9)", trabectedin 18.
    assert format_n_pct(44, 72) == "44 (61.1)"
    assert format_n_pct(28, 72) == "28 (38.9)"
    assert format_n_pct(18, 72) == "18 (25.0)"
    assert format_n_pct(1, 72) == "1 (1.4)"
    assert format_median_range(56, 16, 94) == "56 (16–94)"


def test_rounding_is_half_up_like_spss_not_bankers():
    # 1/80 = 1.25 % exactly. SPSS prints 1.3 (half away from zero); Python's round gives 1.2.
    assert round(1.25, 1) == 1.2
    assert pct_half_up(1, 80) == "1.3"
    assert format_n_pct(1, 80) == "1 (1.3)"
    # 1/400 = 0.25 % -> 0.3; 3/80 = 3.75 % -> 3.8; 1/8 = 12.5 % -> 12.5 (exact).
    assert pct_half_up(1, 400) == "0.3"
    assert pct_half_up(3, 80) == "3.8"
    assert pct_half_up(1, 8) == "12.5"
    assert pct_half_up(0, 5) == "0.0"
    assert pct_half_up(7, 7) == "100.0"


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda total: st.tuples(st.integers(0, total), st.just(total))))
def test_percentages_match_decimal_half_up(pair):
    n, total = pair
    # Independent path: decimal arithmetic with ROUND_HALF_UP (exact for terminating quotients,
    # and a non-terminating quotient can never sit exactly on a .x5 tie).
    expected = (Decimal(100 * n) / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert pct_half_up(n, total) == str(expected)


def test_number_and_p_formats():
    assert format_number(56.0) == "56"
    assert format_number(55.5) == "55.5"
    assert format_number(2.25) == "2.3"  # half up, not to even
    assert format_number(13.40, 2) == "13.4"
    assert format_median_range(np.nan, 1, 2) == "–"
    assert format_p(0.0004) == "<0.001"
    assert format_p(0.0275) == "0.028"
    assert format_p(float("nan")) == ""


# --------------------------------------------------------------------------- overall table


def test_overall_table_hand_counted_strings():
    table = characteristics_table(small_cohort())
    assert list(table.columns) == ["Characteristic", "level", "All (N = 10)"]
    col = "All (N = 10)"
    # Sex: 6 male, 3 female, 1 missing, all of 10.
    assert cell(table, "Sex", "Male", col) == "6 (60.0)"
    assert cell(table, "Sex", "Female", col) == "3 (30.0)"
    assert cell(table, "Sex", "Missing", col) == "1 (10.0)"
    # Age: 9 known values 16, 33, 40, 45, 56, 58, 61, 70, 94 -> median 56.
    assert cell(table, "Age at ICI initiation (years)", "median (range)", col) == "56 (16–94)"
    assert cell(table, "Age at ICI initiation (years)", "Missing", col) == "1 (10.0)"
    # Histotypes in vocabulary order: UPS 4, LMS 3, Angiosarcoma 1, ASPS 1, Other 1.
    start = table.index[table["Characteristic"] == "Histological subtype"][0]
    assert table.loc[start + 1 : start + 5, "level"].tolist() == ["UPS", "LMS", "Angiosarcoma", "ASPS", "Other"]
    assert table.loc[start + 1 : start + 5, col].tolist() == ["4 (40.0)", "3 (30.0)", "1 (10.0)", "1 (10.0)", "1 (10.0)"]
    # Metastatic sites: lung 5 yes, 1 missing (of all 10); liver 1; no met_other column -> no row.
    assert cell(table, "Metastatic sites", "Lung", col) == "5 (50.0)"
    assert cell(table, "Metastatic sites", "Lung: missing", col) == "1 (10.0)"
    assert cell(table, "Metastatic sites", "Liver", col) == "1 (10.0)"
    assert "Liver: missing" not in table["level"].tolist()
    assert cell(table, "Adjuvant/neoadjuvant chemotherapy", "Yes", col) == "3 (30.0)"
    # Prior lines 0,0,1,1,2,2,2,3,5,8 -> median 2, range 0-8 (the seed prints "2 (0–8)").
    assert cell(table, "Number of prior lines of systemic therapy", "median (range)", col) == "2 (0–8)"
    # Lines 1,2,3,3,9,4,2,1,3,6 -> "1" 2, "2" 2, "≥3" 6.
    assert cell(table, "Line of therapy", "1", col) == "2 (20.0)"
    assert cell(table, "Line of therapy", "≥3", col) == "6 (60.0)"
    # Only variables with columns: no stage, site, regimen, centre, prior therapies.
    assert set(table["Characteristic"]) - {""} == {
        "Sex", "Age at ICI initiation (years)", "Histological subtype", "Metastatic sites",
        "Adjuvant/neoadjuvant chemotherapy", "Number of prior lines of systemic therapy",
        "Line of therapy", "Regimen class",
    }


def test_long_form_keeps_raw_numbers():
    long = characteristics_long(small_cohort())
    male = long[(long["variable"] == "sex") & (long["level"] == "Male")].iloc[0]
    assert (male["n"], male["N"], male["pct"], male["group"]) == (6, 10, 60.0, "All")
    age = long[(long["variable"] == "age") & (long["kind"] == "summary")].iloc[0]
    assert (age["median"], age["min"], age["max"], age["n"]) == (56.0, 16.0, 94.0, 9)
    # Every categorical column adds up to N: missing is a row, never dropped.
    sex = long[long["variable"] == "sex"]
    assert sex["n"].sum() == 10


def test_missing_value_in_text_column_becomes_missing_row():
    cohort = small_cohort().assign(histotype=["UPS", "", " ", None, "LMS", "LMS", "UPS", "UPS", "UPS", np.nan])
    table = characteristics_table(cohort, variables=["histotype"])
    assert cell(table, "Histological subtype", "Missing", "All (N = 10)") == "4 (40.0)"
    assert cell(table, "Histological subtype", "UPS", "All (N = 10)") == "4 (40.0)"


def test_table1_shows_one_decimal_half_up_for_80_patients():
    cohort = pd.DataFrame({"sex": ["Female"] + ["Male"] * 79})
    table = characteristics_table(cohort)
    assert cell(table, "Sex", "Female", "All (N = 80)") == "1 (1.3)"
    assert cell(table, "Sex", "Male", "All (N = 80)") == "79 (98.8)"  # 98.75 -> 98.8


def test_even_count_median_and_fractional_age():
    cohort = pd.DataFrame({"age": [16.0, 94.0, 50.0, 61.0], "n_met_sites": [1, 2, 2, 4]})
    table = characteristics_table(cohort)
    # Medians by hand: (50 + 61) / 2 = 55.5; (2 + 2) / 2 = 2.
    assert cell(table, "Age at ICI initiation (years)", "median (range)", "All (N = 4)") == "55.5 (16–94)"
    assert cell(table, "Number of metastatic sites", "median (range)", "All (N = 4)") == "2 (1–4)"


def test_all_missing_continuous_column():
    cohort = pd.DataFrame({"age": [np.nan, np.nan]})
    table = characteristics_table(cohort)
    assert cell(table, "Age at ICI initiation (years)", "median (range)", "All (N = 2)") == "–"
    assert cell(table, "Age at ICI initiation (years)", "Missing", "All (N = 2)") == "2 (100.0)"


# --------------------------------------------------------------------------- by group


def test_group_columns_and_counts():
    table = characteristics_table(small_cohort(), by="regimen_class")
    # ICI monotherapy = P1-P6, ICI + TKI = P7-P10; larger group first.
    assert list(table.columns) == [
        "Characteristic", "level", "All (N = 10)", "ICI monotherapy (N = 6)", "ICI + TKI (N = 4)", "p", "test", "note",
    ]
    mono, tki = "ICI monotherapy (N = 6)", "ICI + TKI (N = 4)"
    assert cell(table, "Sex", "Male", mono) == "3 (50.0)"
    assert cell(table, "Sex", "Missing", mono) == "1 (16.7)"
    assert cell(table, "Sex", "Female", tki) == "1 (25.0)"
    assert cell(table, "Sex", "Missing", tki) == "0 (0.0)"
    assert cell(table, "Age at ICI initiation (years)", "median (range)", mono) == "56 (16–94)"
    assert cell(table, "Age at ICI initiation (years)", "median (range)", tki) == "51.5 (33–70)"
    # The grouping variable itself is not repeated as a row.
    assert "Regimen class" not in table["Characteristic"].tolist()


def test_p_values_match_scipy_called_directly():
    tests = characteristics_tests(small_cohort(), by="regimen_class").set_index(["variable", "level"])

    # Sex (missing excluded): mono 3 M / 2 F, TKI 3 M / 1 F -> sparse 2x2 -> Fisher's exact.
    p = stats.fisher_exact([[3, 3], [2, 1]]).pvalue
    assert tests.loc[("sex", ""), "p"] == pytest.approx(p, rel=1e-12)
    assert tests.loc[("sex", ""), "test"] == "Fisher's exact"
    assert "expected count < 5" in tests.loc[("sex", ""), "note"]

    # Age: Mann-Whitney U of the known ages per group.
    p = stats.mannwhitneyu([16, 94, 56, 40, 61], [70, 33, 58, 45], alternative="two-sided").pvalue
    assert tests.loc[("age", "median (range)"), "p"] == pytest.approx(p, rel=1e-12)
    assert tests.loc[("age", "median (range)"), "test"] == "Mann-Whitney U"

    # Histotype (5 x 2): chi-square without correction, flagged as sparse.
    table = [[2, 2], [3, 0], [1, 0], [0, 1], [0, 1]]  # UPS, LMS, AS, ASPS, Other x mono, TKI
    p = stats.chi2_contingency(table, correction=False).pvalue
    assert tests.loc[("histotype", ""), "p"] == pytest.approx(p, rel=1e-12)
    assert tests.loc[("histotype", ""), "test"] == "Pearson chi-square"
    assert tests.loc[("histotype", ""), "note"].startswith("expected count < 5 in 10 of 10 cells")

    # Lung metastases (one missing in mono excluded): mono 3 yes / 2 no, TKI 2 / 2 -> Fisher.
    p = stats.fisher_exact([[3, 2], [2, 2]]).pvalue
    assert tests.loc[("metastatic_sites", "Lung"), "p"] == pytest.approx(p, rel=1e-12)
    # Periop chemo: mono 2 / 4, TKI 1 / 3.
    p = stats.fisher_exact([[2, 4], [1, 3]]).pvalue
    assert tests.loc[("periop_chemo", "Yes"), "p"] == pytest.approx(p, rel=1e-12)

    # Prior lines: Mann-Whitney U; line groups ("1", "2", "≥3") chi-square.
    p = stats.mannwhitneyu([0, 1, 2, 2, 8, 3], [1, 0, 2, 5], alternative="two-sided").pvalue
    assert tests.loc[("prior_lines", "median (range)"), "p"] == pytest.approx(p, rel=1e-12)
    p = stats.chi2_contingency([[1, 1], [1, 1], [4, 2]], correction=False).pvalue
    assert tests.loc[("line_of_therapy", ""), "p"] == pytest.approx(p, rel=1e-12)


def test_chi_square_without_correction_when_expected_counts_are_large():
    # 40 patients: group A 12 male / 8 female, group B 6 male / 14 female; all expected >= 9.
    sex = ["Male"] * 12 + ["Female"] * 8 + ["Male"] * 6 + ["Female"] * 14
    cohort = pd.DataFrame({"sex": sex, "regimen_class": ["ICI monotherapy"] * 20 + ["ICI + TKI"] * 20})
    tests = characteristics_tests(cohort, by="regimen_class")
    row = tests.set_index("variable").loc["sex"]
    expected = stats.chi2_contingency([[12, 6], [8, 14]], correction=False).pvalue
    assert row["p"] == pytest.approx(expected, rel=1e-12)
    # Hand check: chi2 = 40 (12*14 - 8*6)^2 / (20*20*18*22) = 3.6364, 1 df.
    assert row["p"] == pytest.approx(stats.chi2.sf(40 * (12 * 14 - 8 * 6) ** 2 / (20 * 20 * 18 * 22), 1), rel=1e-9)
    assert row["test"] == "Pearson chi-square"
    assert row["note"] == ""
    table = characteristics_table(cohort, by="regimen_class")
    assert row_of(table, "Sex", "")["p"] == format_p(expected) == "0.057"


def test_kruskal_wallis_for_three_groups():
    ages = [30, 41, 52, 63, 35, 47, 58, 70, 25, 80, 66, 44]
    groups = ["UPS"] * 4 + ["LMS"] * 4 + ["LPS"] * 4
    cohort = pd.DataFrame({"age": ages, "histotype": groups})
    row = characteristics_tests(cohort, by="histotype").set_index("variable").loc["age"]
    expected = stats.kruskal([30, 41, 52, 63], [35, 47, 58, 70], [25, 80, 66, 44]).pvalue
    assert row["p"] == pytest.approx(expected, rel=1e-12)
    assert row["test"] == "Kruskal-Wallis"


def test_group_not_recorded_gets_its_own_column_and_is_left_out_of_tests():
    table = characteristics_table(small_cohort(), by="sex")
    assert "Group not recorded (N = 1)" in table.columns
    assert "Male (N = 6)" in table.columns and "Female (N = 3)" in table.columns
    # P6 (sex missing) is an angiosarcoma.
    assert cell(table, "Histological subtype", "Angiosarcoma", "Group not recorded (N = 1)") == "1 (100.0)"
    tests = characteristics_tests(small_cohort(), by="sex").set_index("variable")
    male = [16, 94, 40, 70, 58, 45]
    female = [56, 61, 33]
    expected = stats.mannwhitneyu(male, female, alternative="two-sided").pvalue
    assert tests.loc["age", "p"] == pytest.approx(expected, rel=1e-12)


def test_by_grouping_key_line_groups():
    table = characteristics_table(small_cohort(), by="line_2")
    assert "1-2 (N = 4)" in table.columns and "≥3 (N = 6)" in table.columns
    assert "Line of therapy" not in table["Characteristic"].tolist()


def test_untestable_variable_has_a_note_not_an_error():
    cohort = pd.DataFrame({"sex": ["Male"] * 4, "regimen_class": ["ICI monotherapy", "ICI + TKI"] * 2})
    row = characteristics_tests(cohort, by="regimen_class").iloc[0]
    assert np.isnan(row["p"]) and row["note"].startswith("not tested")


def test_by_series_of_labels():
    cohort = small_cohort()
    labels = pd.Series(["a", "b"] * 5, index=cohort.index)
    table = characteristics_table(cohort, by=labels, variables=["sex"])
    assert "a (N = 5)" in table.columns and "b (N = 5)" in table.columns


# --------------------------------------------------------------------------- errors


def test_clear_errors():
    cohort = small_cohort()
    with pytest.raises(CharacteristicsError, match="Unknown Table 1 variable"):
        characteristics_table(cohort, variables=["weight"])
    with pytest.raises(CharacteristicsError, match="no data for: disease_stage"):
        characteristics_table(cohort, variables=["disease_stage"])
    with pytest.raises(CharacteristicsError, match="Cannot group by 'colour'"):
        characteristics_table(cohort, by="colour")
    with pytest.raises(CharacteristicsError, match="must contain numbers.*'unknown'"):
        characteristics_table(cohort.assign(age=cohort["age"].astype(object).where(cohort.index != 0, "unknown")))
    with pytest.raises(CharacteristicsError, match="'line_of_therapy' must contain numbers.*'first'"):
        characteristics_table(cohort.assign(line_of_therapy=["first"] + [1] * 9))
    with pytest.raises(CharacteristicsError, match="must be yes/no"):
        characteristics_table(cohort.assign(met_liver=["maybe"] * 10))
    with pytest.raises(CharacteristicsError, match="P1 appear"):
        characteristics_table(cohort.assign(patient_id=["P1"] * 10))
    with pytest.raises(CharacteristicsError, match="no patients"):
        characteristics_table(cohort.iloc[:0])
    with pytest.raises(CharacteristicsError, match="one value per patient"):
        characteristics_table(cohort, by=pd.Series(["a", "b"]))
    assert issubclass(CharacteristicsError, ValueError)


def test_flags_given_as_zero_one_are_accepted():
    cohort = pd.DataFrame({"primary_surgery": [1, 0, 1, np.nan]})
    table = characteristics_table(cohort)
    assert cell(table, "Surgery of the primary tumour", "Yes", "All (N = 4)") == "2 (50.0)"
    assert cell(table, "Surgery of the primary tumour", "Missing", "All (N = 4)") == "1 (25.0)"


def test_available_variables():
    assert available_variables(small_cohort()) == [
        "sex", "age", "histotype", "metastatic_sites", "periop_chemo", "prior_lines", "line_of_therapy", "regimen_class",
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["Male", "Female"])), min_size=1, max_size=60),
    st.data(),
)
def test_every_column_adds_up_to_its_n(sexes, data):
    n = len(sexes)
    groups = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "C"])), min_size=n, max_size=n))
    cohort = pd.DataFrame({"sex": sexes, "center": groups})
    if all(g is None for g in groups):
        with pytest.raises(CharacteristicsError):
            characteristics_long(cohort, by="center")
        return
    long = characteristics_long(cohort, by="center", variables=["sex"])
    totals = long.groupby("group").agg(n=("n", "sum"), N=("N", "first"))
    assert (totals["n"] == totals["N"]).all()
    assert totals.loc["All", "N"] == n


# --------------------------------------------------------------------------- seed Table 1


SAMPLE_COHORT = Path(__file__).resolve().parents[1] / "sample_data" / "sample_cohort.csv"


@pytest.fixture(scope="module")
def sample_cohort() -> pd.DataFrame:
    cohort, _report = load_cohort(SAMPLE_COHORT)
    return cohort


@pytest.fixture(scope="module")
def sample_table(sample_cohort) -> pd.DataFrame:
    return characteristics_table(sample_cohort)


# Seed Table 1 (N = 72), as printed by SPSS in the paper; our labels on the left.
SEED_TABLE1 = [
    ("Sex", "Male", "44 (61.1)"),
    ("Sex", "Female", "28 (38.9)"),
    ("Age at ICI initiation (years)", "median (range)", "56 (16–94)"),
    ("Stage", "Metastatic", "63 (87.5)"),
    ("Stage", "Locally advanced", "9 (12.5)"),
    ("Histological subtype", "UPS", "12 (16.7)"),
    ("Histological subtype", "LMS", "12 (16.7)"),
    ("Histological subtype", "LPS", "10 (13.9)"),
    ("Histological subtype", "Angiosarcoma", "7 (9.7)"),
    ("Histological subtype", "Kaposi sarcoma", "4 (5.6)"),
    ("Histological subtype", "Undifferentiated sarcoma", "3 (4.2)"),
    ("Histological subtype", "ASPS", "3 (4.2)"),
    ("Histological subtype", "Myxofibrosarcoma", "3 (4.2)"),
    ("Histological subtype", "Other", "18 (25.0)"),
    ("Site of primary tumour", "Extremities", "23 (31.9)"),
    ("Site of primary tumour", "Trunk", "18 (25.0)"),
    ("Site of primary tumour", "Retroperitoneum", "14 (19.4)"),
    ("Site of primary tumour", "Head and neck", "10 (13.9)"),
    ("Site of primary tumour", "Uterus", "6 (8.3)"),
    ("Site of primary tumour", "Spermatic cord", "1 (1.4)"),
    ("Metastatic sites", "Lung", "39 (54.2)"),
    ("Metastatic sites", "Liver", "11 (15.3)"),
    ("Metastatic sites", "Other", "41 (56.9)"),
    ("Adjuvant/neoadjuvant chemotherapy", "Yes", "23 (31.9)"),
    ("Surgery of the primary tumour", "Yes", "57 (79.2)"),
    ("Number of prior lines of systemic therapy", "median (range)", "2 (0–8)"),
    ("Prior systemic therapies", "Anthracycline-based", "45 (62.5)"),
    ("Prior systemic therapies", "Gemcitabine-based", "22 (30.6)"),
    ("Prior systemic therapies", "Trabectedin", "18 (25.0)"),
    ("Prior systemic therapies", "TKI", "18 (25.0)"),
    ("Prior systemic therapies", "Other", "37 (51.4)"),
    # Seed Methods/Results: ICI monotherapy 43 (59.7%), double ICI 5 (6.9%), ICI + TKI 21
    # (29.2%), ICI + chemotherapy 3 (4.2%); 38.9 % received ICI as first or second line.
    ("Regimen class", "ICI monotherapy", "43 (59.7)"),
    ("Regimen class", "Double ICI", "5 (6.9)"),
    ("Regimen class", "ICI + TKI", "21 (29.2)"),
    ("Regimen class", "ICI + chemotherapy", "3 (4.2)"),
]


@pytest.mark.parametrize(("characteristic", "level", "expected"), SEED_TABLE1)
def test_sample_cohort_reproduces_seed_table1(sample_table, characteristic, level, expected):
    assert cell(sample_table, characteristic, level, "All (N = 72)") == expected


def test_sample_cohort_first_or_second_line_share(sample_cohort, sample_table):
    # Seed Discussion: 38.9 % (28 of 72) received ICI as first- or second-line therapy.
    long = characteristics_long(sample_cohort, variables=["line_of_therapy"])
    first_two = long[long["level"].isin(["1", "2"])]["n"].sum()
    assert format_n_pct(int(first_two), 72) == "28 (38.9)"
    assert "Missing" not in sample_table["level"].tolist()  # the sample cohort is complete
