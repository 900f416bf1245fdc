"""AppTest: every page on the sample cohort; each filter changes what is shown, and what is shown
equals what the analysis core computes for the same subset."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sarcoma.filters import FilterState, apply_filters
from sarcoma.formatting import p_value_text
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.subgroups import subgroup_table
from sarcoma.views import ViewContext
from sarcoma.views.response import ResponseOptions, response_view
from tests.rendered import rendered

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"


@pytest.fixture(scope="module")
def cohort():
    data, _ = load_cohort(SAMPLE)
    return data


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def headline(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if m.value.startswith("### n ="))


def test_data_page_shows_the_quality_report_of_the_sample(cohort):
    at = start()
    assert headline(at) == "### n = 72 of 72 patients"
    assert any("Read 72 patient rows" in t.value for t in at.text)
    counts = next(df.value for df in at.dataframe if "rows_read" in df.value)  # the data-quality counts
    # PFS, OS, Response and, since the sample has response and treatment end dates (issue 14), DoR and TTF.
    assert counts["endpoint"].tolist() == ["PFS", "OS", "Response", "DoR", "TTF"]
    assert counts["rows_read"].tolist() == [72] * 5
    assert (counts["analysed"] + counts["excluded"]).tolist() == [72] * 5


@pytest.mark.parametrize(
    ("key", "value", "state"),
    [
        ("histotype", ["UPS", "LMS"], FilterState(histotypes=("UPS", "LMS"))),
        ("line", ["≥3"], FilterState(lines=("≥3",))),
        ("regimen_class", ["ICI + TKI"], FilterState(regimen_classes=("ICI + TKI",))),
        ("sex", ["Female"], FilterState(sexes=("Female",))),
        ("site", ["Head and neck"], FilterState(primary_sites=("Head and neck",))),
        ("stage", ["Metastatic"], FilterState(stages=("Metastatic",))),
        ("regimen", ["pembrolizumab"], FilterState(regimens=("pembrolizumab",))),
    ],
)
def test_each_filter_changes_the_count_and_the_survival_page(cohort, key, value, state):
    at = start("pages/survival.py")
    at.sidebar.multiselect(key=key).set_value(value).run()
    assert not at.exception
    expected = apply_filters(cohort, state)
    assert expected.n < 72
    assert headline(at) == f"### n = {expected.n} of 72 patients"
    core = survival_by_group(expected.subset, "PFS", None)
    shown = at.dataframe[0].value
    assert shown["Median (95% CI), months"].tolist() == core.table["Median (95% CI), months"].tolist()
    assert shown["n"].tolist() == [expected.n - sum(e.n for e in core.excluded)]


def test_survival_by_line_shows_the_core_p_value_and_keeps_it_on_endpoint_switch(cohort):
    at = start("pages/survival.py")
    at.selectbox(key="surv_group").set_value("line_2").run()
    for endpoint in ("PFS", "OS"):
        at.radio(key="surv_endpoint").set_value(endpoint).run()
        core = survival_by_group(cohort, endpoint, "line_2")
        label = next(rendered(m.value).strip("*") for m in at.markdown if m.value.startswith("**Log-rank"))
        assert format_p(core.test.p_value) in label
        assert f"df = {core.test.df}" in label
        shown = at.dataframe[0].value
        assert shown["Median (95% CI), months"].tolist() == core.table["Median (95% CI), months"].tolist()
        assert shown["12-month rate (95% CI)"].tolist() == core.table["12-month rate (95% CI)"].tolist()


def test_age_filter_and_line_cut(cohort):
    at = start("pages/survival.py")
    at.sidebar.slider(key="age").set_value((40, 70)).run()
    expected = apply_filters(cohort, FilterState(age_min=40, age_max=70))
    assert headline(at) == f"### n = {expected.n} of 72 patients"
    at.sidebar.number_input(key="line_cut").set_value(2).run()
    assert not at.exception
    assert at.sidebar.multiselect(key="line").options == ["1", "≥2"]


def test_filters_are_kept_when_switching_pages(cohort):
    at = start()
    at.sidebar.multiselect(key="histotype").set_value(["UPS"]).run()
    expected = apply_filters(cohort, FilterState(histotypes=("UPS",)))
    for page in ("pages/cohort.py", "pages/response.py", "pages/subgroups.py", "pages/safety.py", "pages/survival.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert headline(at) == f"### n = {expected.n} of 72 patients", page
        assert at.sidebar.multiselect(key="histotype").value == ["UPS"]


def test_empty_selection_shows_a_message_not_an_error():
    at = start("pages/survival.py")
    at.sidebar.multiselect(key="histotype").set_value(["ASPS"]).run()
    at.sidebar.multiselect(key="sex").set_value(["Female"]).run()
    at.sidebar.multiselect(key="regimen_class").set_value(["Double ICI"]).run()
    assert not at.exception
    assert any("No patients match" in w.value or "too few" in w.value for w in at.warning)


def test_response_page_matches_core_and_seed_table_4(cohort):
    at = start("pages/response.py")
    at.selectbox(key="resp_by").set_value("regimen_class").run()
    shown = at.dataframe[0].value.set_index("Regimen class")
    core = response_view(cohort, ResponseOptions(by="regimen_class"), ViewContext(dataset=cohort)).tables[0].table.set_index("Regimen class")
    orr = "ORR % (95% CI, Clopper-Pearson)"
    assert shown[orr].tolist() == core[orr].tolist()
    # Seed Table 4 (rows): ICI monotherapy 12/41 = 29.3% of evaluable; total 22/64 = 34.4%
    # (Clopper-Pearson limits from scipy; the seed prints 23.0 for the lower limit, see test_response).
    assert shown.loc["ICI monotherapy", orr] == "29.3% (16.1-45.5)"
    assert shown.loc["ICI monotherapy", "Evaluable (CR+PR+SD+PD)"] == 41
    assert shown.loc["Total", orr] == "34.4% (22.9-47.3)"
    at.radio(key="resp_den").set_value("all").run()
    assert at.dataframe[0].value.set_index("Regimen class").loc["Total", "All treated"] == 72


def test_subgroups_page_matches_core(cohort):
    at = start("pages/subgroups.py")
    at.multiselect(key="sg_vars").set_value(["line_2", "histotype"]).run()
    shown = at.dataframe[0].value
    core = subgroup_table(cohort, groupings=["line_2", "histotype"])
    tests = core.tests.set_index(["endpoint", "variable"])
    # Each variable's first row carries its unadjusted and its Holm-adjusted p (the core's, one formatter).
    assert shown.loc[shown["p"] != "", "p"].tolist() == [p_value_text(p) for p in tests["p_value"]]
    assert shown.loc[shown["p"] != "", "p (Holm-adjusted)"].tolist() == [p_value_text(p) for p in tests["p_adjusted"]]
    assert shown["Median (95% CI), months"].tolist() == core.rows["median_text"].tolist()
    assert any(rendered(m.value).startswith("**4 tests in this table") for m in at.markdown)
    # Seed: PFS by line of therapy, unadjusted p (the paper prints 0.027 for its own data).
    assert shown.loc[0, "Variable"] == "Line of therapy (1-2 vs ≥3)" and shown.loc[0, "p"] == p_value_text(tests.loc[("PFS", "line_2"), "p_value"])


def test_cohort_and_safety_pages_show_seed_counts():
    at = start("pages/cohort.py")
    table = at.dataframe[0].value
    assert "44 (61.1)" in table.astype(str).to_numpy().ravel().tolist()
    at.switch_page("pages/safety.py")
    at.run()
    assert not at.exception
    cells = " ".join(" ".join(df.value.astype(str).to_numpy().ravel()) for df in at.dataframe)
    assert "24 (33.3" in cells  # seed: 24 (33.3%) patients with any AE


def test_presentation_mode_enlarges_figures_and_shows_the_cohort_header(cohort):
    at = start("pages/survival.py")
    at.sidebar.multiselect(key="histotype").set_value(["UPS"]).run()
    at.sidebar.toggle(key="present").set_value(True).run()
    assert not at.exception
    expected = apply_filters(cohort, FilterState(histotypes=("UPS",)))
    # One compact header line (the figure must fit a projector's first screen): cohort, n, filters.
    header = rendered(at.main.markdown[0].value)
    assert header.startswith("**Synthetic sample cohort")
    assert f"· n = {expected.n} of 72 patients · Histotype: UPS" in header
    # The page's choices are folded away under "Options"; the figure is drawn at projector size.
    assert [e.label for e in at.main.expander] == ["Options"]
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["font"]["size"] == 22


def test_page_options_survive_a_page_switch():
    at = start("pages/survival.py")
    at.selectbox(key="surv_group").set_value("histotype").run()
    at.radio(key="surv_endpoint").set_value("OS").run()
    at.switch_page("pages/cohort.py")
    at.run()
    at.switch_page("pages/survival.py")
    at.run()
    assert at.selectbox(key="surv_group").value == "histotype"
    assert at.radio(key="surv_endpoint").value == "OS"


def _line_colors(at: AppTest) -> dict[str, str]:
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    # The group's label is the trace's meta (its legend name adds n and the median).
    return {tr["meta"]: tr["line"]["color"] for tr in spec["data"] if tr.get("mode") == "lines" and tr.get("name")}


def test_group_colours_do_not_change_when_filters_remove_a_group():
    at = start("pages/survival.py")
    at.selectbox(key="surv_group").set_value("center").run()
    before = _line_colors(at)
    centres = list(before)
    at.sidebar.multiselect(key="centre").set_value(centres[1:4]).run()
    after = _line_colors(at)
    assert set(after) == set(centres[1:4])
    assert all(after[c] == before[c] for c in after)


def test_subgroups_hazard_ratio_forest_matches_cox_core(cohort):
    from sarcoma.cox import univariable_cox

    at = start("pages/subgroups.py")
    at.multiselect(key="sg_vars").set_value(["line_2", "sex"]).run()
    at.radio(key="sg_forest_kind").set_value("hr").run()
    assert not at.exception
    import base64
    import json

    import numpy as np

    def values(v):  # Plotly sends numeric arrays base64-encoded ("bdata")
        if isinstance(v, dict):
            return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
        return list(v)

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    shown = [x for tr in spec["data"] if tr.get("mode") == "markers" for x in values(tr["x"])]
    core = univariable_cox(cohort, "PFS", ["line_2", "sex"], check_ph=False)
    assert shown == pytest.approx(core["hr"].tolist())


def test_upload_cohort_and_separate_adverse_event_table():
    at = start()
    csv = SAMPLE.read_bytes()
    at.file_uploader(key="upload").set_value(("my_centre.csv", csv, "text/csv")).run()
    assert not at.exception
    assert any(rendered(m.value) == "**Data:** my_centre.csv" for m in at.sidebar.markdown)
    ae = (ROOT / "sample_data" / "sample_adverse_events.csv").read_bytes()
    at.file_uploader(key="ae_upload").set_value(("events.csv", ae, "text/csv")).run()
    assert not at.exception
    assert any("Adverse-event table: events.csv" in rendered(c.value) for c in at.caption)
    at.switch_page("pages/safety.py")
    at.run()
    summary = at.dataframe[0].value.set_index("Measure")["n (%)"].astype(str)
    # Seed toxicity paragraph: 36 AEs in total, 5 grade 3-4 AEs in 5 patients.
    assert summary["AEs in total (all grades)"] == "36"
    assert summary["Grade 3–4 AEs"] == "5"


def test_unreadable_upload_gets_a_plain_message_and_keeps_the_data():
    at = start()
    at.file_uploader(key="upload").set_value(("cohort.csv", b"%PDF-1.4 binary \x00\x01", "text/csv")).run()
    assert not at.exception
    assert at.error and "PDF" in rendered(at.error[0].value)
    assert headline(at) == "### n = 72 of 72 patients"  # the sample cohort is still loaded


def test_unrecognised_required_column_can_be_mapped_by_hand():
    at = start()
    # Filters set on the previous file (a histotype the new file lacks, an age range while the
    # new file has no ages) must not break the new file or hide its patients.
    at.sidebar.multiselect(key="histotype").set_value(["ASPS"]).run()
    at.sidebar.slider(key="age").set_value((30, 60)).run()
    data = (
        b"Pt;Tumour kind;prior_lines;regimen;pfs_months;pfs_event;os_months;os_event\n"
        b"P1;UPS;1;pembrolizumab;4,5;1;6,0;0\nP2;LMS;2;nivolumab;3;1;7;1\nP3;UPS;0;nivolumab;9;0;12;0\n"
    )
    at.file_uploader(key="upload").set_value(("odd_headers.csv", data, "text/csv")).run()
    assert not at.exception
    assert "histotype" in rendered(at.error[0].value) and "Tumour kind" in rendered(at.error[0].value)
    at.selectbox(key="map_Tumour kind").set_value("histotype").run()
    at.button[0].click().run()
    assert not at.exception
    assert headline(at) == "### n = 3 of 3 patients"
    assert any(rendered(m.value) == "**Data:** odd_headers.csv" for m in at.sidebar.markdown)


def test_cohort_split_drops_the_split_variable_and_keeps_its_order():
    at = start("pages/cohort.py")
    at.sidebar.number_input(key="line_cut").set_value(2).run()
    at.selectbox(key="cohort_by").set_value("line").run()
    table = at.dataframe[0].value
    # Splitting by line of therapy must not test line against itself (a meaningless p < 0.001).
    assert not table["Characteristic"].str.startswith("Line of therapy").any()
    group_columns = [c for c in table.columns if "(N =" in c and not c.startswith("All")]
    assert [c.split(" (")[0] for c in group_columns] == ["1", "≥2"]


def test_safety_page_explains_missing_columns_instead_of_failing():
    import pandas as pd

    minimal = pd.read_csv(SAMPLE)[["patient_id", "histotype", "prior_lines", "regimen", "pfs_months", "pfs_event", "os_months", "os_event"]]
    at = start()
    at.file_uploader(key="upload").set_value(("minimal.csv", minimal.to_csv(index=False).encode(), "text/csv")).run()
    for page in ("pages/safety.py", "pages/response.py", "pages/cohort.py", "pages/subgroups.py", "pages/models.py", "pages/report.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, page
    at.switch_page("pages/safety.py")
    at.run()
    # A plain note per table that needs columns this file does not have.
    assert any("not available for this file" in rendered(c.value) for c in at.caption)
