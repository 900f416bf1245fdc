"""AppTest of federated pooling in the app: a centre prepares its aggregate file on 'Share
aggregates', a coordinator pools files on 'Pool centres', and the Survival, Subgroups, Response
and Cohort pages show the pool; what equals the core's pooled numbers (sarcoma.federated, itself
pinned to the patient rows and R in test_federated*.py)."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sarcoma.endpoints import endpoint_data
from sarcoma.federated import export_aggregates, pool, read_aggregates
from sarcoma.formatting import p_value_text
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import format_p
from sarcoma.views.pooled import pooled_subgroup_table
from sarcoma.views.subgroups import SubgroupOptions
from tests.rendered import rendered

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
NORTH = ("Centre A (synthetic)", "Centre B (synthetic)")
SOUTH = ("Centre C (synthetic)", "Centre D (synthetic)", "Centre E (synthetic)")


@pytest.fixture(scope="module")
def cohort():
    data, _ = load_cohort(SAMPLE)
    return data


@pytest.fixture(scope="module")
def files(cohort) -> dict[str, bytes]:
    return {
        "north.json": export_aggregates(cohort[cohort["center"].isin(NORTH)], centre="North", min_cell=5),
        "south.json": export_aggregates(cohort[cohort["center"].isin(SOUTH)], centre="South", min_cell=5),
    }


@pytest.fixture(scope="module")
def pooled(files):
    return pool([read_aggregates(data, name) for name, data in files.items()])


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    return run(at)


def headline(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if m.value.startswith("### n ="))


def pooled_app(files: dict[str, bytes]) -> AppTest:
    at = run(AppTest.from_file(APP, default_timeout=120))
    go(at, "pages/pool_centres.py")
    at.file_uploader(key="pool_upload_0").set_value([(name, data, "application/json") for name, data in files.items()])
    run(at)
    at.button(key="pool_activate").click()
    return run(at)


def test_share_page_previews_the_file_of_the_chosen_centre(cohort):
    at = run(AppTest.from_file(APP, default_timeout=120))
    at.sidebar.multiselect(key="centre").set_value(["Centre B (synthetic)"])
    run(at)
    go(at, "pages/share_aggregates.py")
    assert at.text_input(key="share_centre").value == "Centre B (synthetic)"
    centre = cohort[cohort["center"] == "Centre B (synthetic)"]
    assert any(rendered(m.value).startswith(f"Centre B (synthetic): {len(centre)} patients. PFS: {len(centre)} patients")
               for m in at.markdown)
    # The life-table summary lists every endpoint overall and by each baseline grouping.
    # Patients per endpoint are the registry's analysed patients (DoR: responders with a response date).
    summary = at.dataframe[1].value
    overall = summary[summary["Grouping"] == "All patients"]
    assert overall["Endpoint"].tolist() == ["PFS", "OS", "DoR", "TTF"]
    assert overall["Patients"].tolist() == [len(endpoint_data(centre, e)) for e in ("PFS", "OS", "DoR", "TTF")]
    assert overall["Patients"].tolist()[:2] == [len(centre), len(centre)]
    assert "Histotype" in summary["Grouping"].tolist() and not summary["Grouping"].str.contains("post-baseline").any()
    # Changed to protect patients: each entry has its reason.
    reasons = at.dataframe[0].value
    assert list(reasons.columns) == ["Where", "What and why"] and reasons["What and why"].str.contains("5 patients").all()
    # Post-baseline groupings only when ticked, and marked.
    at.checkbox(key="share_post").check()
    run(at)
    assert at.dataframe[1].value["Grouping"].str.contains("⚠ post-baseline").any()
    assert any("guarantee-time bias" in w.value for w in at.warning)
    # A centre too small for the minimum cell size gets a plain message, no file.
    at.sidebar.multiselect(key="centre").set_value(["Centre H (synthetic)"])
    run(at)
    assert any("fewer than the minimum cell size of 5" in rendered(e.value) for e in at.error)


def test_pool_page_reads_files_names_bad_ones_and_switches_the_pages(files, pooled):
    at = run(AppTest.from_file(APP, default_timeout=120))
    go(at, "pages/pool_centres.py")
    uploads = [(name, data, "application/json") for name, data in files.items()]
    uploads.append(("patients.json", b"patient_id;centre\nP1;A\n", "application/json"))
    at.file_uploader(key="pool_upload_0").set_value(uploads)
    run(at)
    assert any(rendered(e.value).startswith("patients.json cannot be pooled: it is not an aggregate file") for e in at.error)
    centres = at.dataframe[0].value
    assert centres["Centre"].tolist() == ["North", "South"] and centres["Patients"].tolist() == [25, 23]
    at.button(key="pool_activate").click()
    run(at)
    assert headline(at) == f"### n = {pooled.n_patients} of {pooled.n_patients} patients"
    # The same file again is refused by name.
    at.file_uploader(key="pool_upload_1").set_value([("north again.json", files["north.json"], "application/json")])
    run(at)
    assert any("north again.json is already in the pool" in rendered(e.value) for e in at.error)


def test_pooled_survival_page_shows_the_pooled_numbers_and_the_centre_filter_works(files, pooled):
    at = pooled_app(files)
    go(at, "pages/survival.py")
    shown = at.dataframe[0].value
    km = pooled.kaplan_meier("PFS")
    assert shown["Median (95% CI), months"].tolist() == [km.median_text()]
    at.selectbox(key="pool_surv_group").set_value("regimen_class")
    run(at)
    test = pooled.logrank("PFS", "regimen_class", strata="centre")
    line = next(rendered(m.value).strip("*") for m in at.markdown if m.value.startswith("**Log-rank"))
    assert line == f"Log-rank: χ² = {test.statistic:.2f}, df = {test.df}, {format_p(test.p_value)} (stratified by centre)"
    curves = pooled.curves("PFS", "regimen_class")
    assert at.dataframe[0].value["Median (95% CI), months"].tolist() == [c.median_text() for c in curves.values()]
    assert any(rendered(m.value).startswith("**HR ") and "log-rank based, Peto, stratified by centre" in rendered(m.value)
               for m in at.markdown)
    # Between centres: the medians by centre (and the Peto table for the two groups).
    assert any(h.value == "Between centres" for h in at.subheader)
    # The centre filter: one centre only.
    at.sidebar.multiselect(key="pool_centre").set_value(["South"])
    run(at)
    assert headline(at) == f"### n = 23 of {pooled.n_patients} patients"
    south = pooled.select(["South"]).curves("PFS", "regimen_class")
    assert at.dataframe[0].value["Median (95% CI), months"].tolist() == [c.median_text() for c in south.values()]


def test_pooled_subgroups_response_and_cohort_pages(files, pooled):
    at = pooled_app(files)
    go(at, "pages/subgroups.py")
    shown = at.dataframe[0].value
    chosen = [k for k in at.multiselect(key="pool_sg_vars").value]
    core = pooled_subgroup_table(pooled, SubgroupOptions(variables=tuple(chosen)), chosen)
    assert shown.loc[shown["p"] != "", "p"].tolist() == [p_value_text(p) for p in core.tests["p_value"] if p == p]
    go(at, "pages/response.py")
    at.selectbox(key="pool_resp_by").set_value("regimen_class")
    run(at)
    table, _ = pooled.response_table("regimen_class")
    shown = at.dataframe[0].value.set_index("Regimen class")
    assert shown["CR"].tolist() == table["CR"].tolist() and shown["Evaluable (CR+PR+SD+PD)"].tolist() == table["n_denominator"].tolist()
    go(at, "pages/cohort.py")
    expected, _ = pooled.table1()
    pd.testing.assert_frame_equal(at.dataframe[0].value, expected, check_dtype=False)
    at.selectbox(key="pool_cohort_by").set_value("center")
    run(at)
    assert list(at.dataframe[0].value.columns)[2:] == ["All (N = 48)", "North (N = 25)", "South (N = 23)"]


def test_pages_that_need_patient_rows_say_so_and_leaving_restores_the_patient_file(files):
    at = pooled_app(files)
    for page in ("pages/models.py", "pages/safety.py"):
        go(at, page)
        assert any("needs patient rows" in rendered(i.value) for i in at.info), page
        assert not at.dataframe
    go(at, "pages/report.py")
    assert any("Each of the 2 centres shared aggregate counts" in c.value for c in at.code)
    at.sidebar.button(key="pool_leave_sidebar").click()
    run(at)
    assert headline(at) == "### n = 72 of 72 patients"
    go(at, "pages/models.py")
    assert not any("needs patient rows" in rendered(i.value) for i in at.info)


def test_own_patient_file_joins_the_pool(files, cohort):
    at = run(AppTest.from_file(APP, default_timeout=120))
    go(at, "pages/pool_centres.py")
    at.text_input(key="pool_own_centre").set_value("Our hospital")
    run(at)
    at.button(key="pool_own_add").click()
    run(at)
    centres = at.dataframe[0].value
    assert centres["Centre"].tolist() == ["Our hospital"] and centres["Patients"].tolist() == [len(cohort)]
    at.button(key="pool_activate").click()
    run(at)
    go(at, "pages/survival.py")
    # The whole sample as one centre: the pooled curve is the sample's own curve.
    own = pool([read_aggregates(export_aggregates(cohort, centre="Our hospital", min_cell=1), "own")])
    assert at.dataframe[0].value["Median (95% CI), months"].tolist() == [own.kaplan_meier("PFS").median_text()]


def test_share_preview_says_why_an_endpoint_is_not_shared(cohort):
    at = run(AppTest.from_file(APP, default_timeout=120))
    at.sidebar.multiselect(key="centre").set_value(["Centre A (synthetic)"])
    run(at)
    go(at, "pages/share_aggregates.py")
    responders = len(endpoint_data(cohort[cohort["center"] == "Centre A (synthetic)"], "DoR"))
    assert responders == 3
    line = next(rendered(m.value) for m in at.markdown if rendered(m.value).startswith("Centre A (synthetic): 11 patients."))
    assert "DoR: not shared (3 patients, fewer than the minimum cell size 5)" in line
    assert "not shared patients" not in line


def test_share_centre_name_follows_the_centre_filter_and_keeps_a_typed_name(cohort):
    at = run(AppTest.from_file(APP, default_timeout=120))
    go(at, "pages/share_aggregates.py")
    assert at.text_input(key="share_centre").value == ""  # several centres: no name to guess
    at.sidebar.multiselect(key="centre").set_value(["Centre A (synthetic)"])
    run(at)
    assert at.text_input(key="share_centre").value == "Centre A (synthetic)"
    at.text_input(key="share_centre").set_value("Hospital A")
    run(at)
    assert any("differs from the centre in the file (Centre A (synthetic))" in rendered(w.value) for w in at.warning)
    at.sidebar.multiselect(key="centre").set_value(["Centre B (synthetic)"])
    run(at)
    assert at.text_input(key="share_centre").value == "Centre B (synthetic)"
    n_b = int((cohort["center"] == "Centre B (synthetic)").sum())
    assert any(rendered(m.value).startswith(f"Centre B (synthetic): {n_b} patients.") for m in at.markdown)
    assert not any("differs from the centre in the file" in rendered(w.value) for w in at.warning)
    at.sidebar.multiselect(key="centre").set_value(["Centre A (synthetic)"])
    run(at)
    assert at.text_input(key="share_centre").value == "Hospital A"  # the typed name is not lost
    assert any(rendered(m.value).startswith("Hospital A: 11 patients.") for m in at.markdown)


def test_own_patient_file_joins_as_the_filtered_patients_and_double_counting_is_named(cohort):
    a = cohort[cohort["center"] == "Centre A (synthetic)"]
    b = cohort[cohort["center"] == "Centre B (synthetic)"]
    at = run(AppTest.from_file(APP, default_timeout=120))
    at.sidebar.multiselect(key="centre").set_value(["Centre A (synthetic)"])
    run(at)
    go(at, "pages/pool_centres.py")
    at.file_uploader(key="pool_upload_0").set_value(
        [("a.json", export_aggregates(a, centre="Centre A (synthetic)", min_cell=5), "application/json")])
    run(at)
    assert any(f"n = {len(a)}" in rendered(c.value) for c in at.caption)
    assert any(rendered(w.value).startswith(f"Centre A (synthetic) is already in the pool (a.json): its {len(a)} patient(s)")
               for w in at.warning)
    at.sidebar.multiselect(key="centre").set_value(["Centre B (synthetic)"])
    run(at)
    assert not any("is already in the pool" in rendered(w.value) for w in at.warning)
    at.text_input(key="pool_own_centre").set_value("Centre B (synthetic)")
    run(at)
    at.button(key="pool_own_add").click()
    run(at)
    centres = at.dataframe[0].value
    assert centres["Patients"].tolist() == [len(a), len(b)]  # B's filtered rows, not the whole file


def test_pooled_subgroups_offer_the_endpoints_and_name_the_variables_not_shown(cohort):
    files = {name: export_aggregates(cohort[cohort["center"] == c], centre=c, min_cell=5)
             for name, c in (("a.json", "Centre A (synthetic)"), ("b.json", "Centre B (synthetic)"))}
    at = pooled_app(files)
    go(at, "pages/subgroups.py")
    assert at.multiselect(key="pool_sg_endpoints").value == ["PFS", "OS"]
    assert any(rendered(w.value).startswith("Histotype: not shown, because no centre could share it") for w in at.warning)
    at.multiselect(key="pool_sg_endpoints").set_value(["TTF"])
    run(at)
    shown = at.dataframe[0].value
    assert set(shown["Endpoint"][shown["Endpoint"] != ""]) == {"TTF"}
