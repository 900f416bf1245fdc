"""AppTest: a user's choice (filter, grouping) never changes or disappears silently.

* A new file whose values do not fit the previous file's filters: the filter is fitted to the
  new data and the sidebar says what changed; no patient of the new file is lost.
* A grouping that a filter leaves with one level stays chosen, the page says why it is not
  drawn, and it is drawn again when the filter is removed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.rendered import rendered

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def headline(at: AppTest) -> str:
    return next(rendered(m.value)[4:] for m in at.sidebar.markdown if m.value.startswith("### n ="))


def notices(at: AppTest) -> list[str]:
    return [rendered(w.value) for w in at.sidebar.warning]


def with_ages(ages: list[int]) -> bytes:
    """The sample's first len(ages) patients with these ages, as a centre would upload them."""
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).iloc[: len(ages)].copy()
    raw["age"] = [str(a) for a in ages]
    return raw.to_csv(index=False).encode()


def upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]


def test_paediatric_file_after_the_sample_keeps_every_child():
    at = start()
    assert headline(at) == "n = 72 of 72 patients"
    ages = [2, 3, 5, 7, 9, 11, 12, 13, 14, 15]
    upload(at, "paediatric.csv", with_ages(ages))
    # The sample's full age range (16-95) was no filter: it becomes the new file's full range.
    assert headline(at) == "n = 10 of 10 patients"
    assert at.sidebar.slider(key="age").value == (2, 16)
    assert notices(at) == []


def test_aya_file_after_the_sample_keeps_the_patients_under_16():
    at = start()
    upload(at, "aya.csv", with_ages([10, 12, 15, 18, 22, 25, 30, 35, 40, 44, 49, 49]))
    assert headline(at) == "n = 12 of 12 patients"


def test_an_age_range_outside_the_new_file_is_removed_and_said():
    at = start()
    at.sidebar.slider(key="age").set_value((40, 60)).run()
    assert headline(at).startswith("n = ") and not headline(at).startswith("n = 72")
    upload(at, "paediatric.csv", with_ages([2, 3, 5, 7, 9, 11, 12, 13, 14, 15]))
    assert headline(at) == "n = 10 of 10 patients"
    assert any("Age: 40 to 60 years is outside this data's ages (2 to 16)" in n for n in notices(at))
    at.sidebar.button(key="dismiss_filter_notices").click().run()
    assert notices(at) == []


def test_an_age_range_overlapping_the_new_file_selects_the_same_patients():
    at = start()
    at.sidebar.slider(key="age").set_value((40, 60)).run()
    upload(at, "aya.csv", with_ages([10, 12, 15, 18, 22, 25, 30, 35, 40, 44, 49, 49]))
    assert at.sidebar.slider(key="age").value == (40, 50)
    assert headline(at) == "n = 4 of 12 patients"  # 40, 44, 49, 49: what 40-60 selects


def test_a_histotype_the_new_file_lacks_is_taken_out_with_a_notice():
    at = start()
    at.sidebar.multiselect(key="histotype").set_value(["ASPS", "UPS"]).run()
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    no_asps = raw[raw["histotype"] != "ASPS"]
    upload(at, "no_asps.csv", no_asps.to_csv(index=False).encode())
    assert at.sidebar.multiselect(key="histotype").value == ["UPS"]
    assert any(n.startswith("Histotype: ASPS is not in this data") for n in notices(at))
    n_ups = int((no_asps["histotype"] == "UPS").sum())
    assert headline(at) == f"n = {n_ups} of {len(no_asps)} patients"


def test_a_line_group_of_another_cut_is_taken_out_with_a_notice():
    at = start()
    at.sidebar.multiselect(key="line").set_value(["≥3"]).run()
    at.sidebar.number_input(key="line_cut").set_value(4).run()
    assert not at.exception
    assert any("Line of therapy: ≥3 is not in this data" in n for n in notices(at))
    assert headline(at) == "n = 72 of 72 patients"


def test_survival_grouping_stays_chosen_while_a_filter_leaves_one_level():
    at = start("pages/survival.py")
    at.selectbox(key="surv_group").set_value("histotype").run()
    assert len(at.dataframe[0].value) > 2  # one row per histotype
    at.sidebar.multiselect(key="histotype").set_value(["UPS"]).run()
    assert at.selectbox(key="surv_group").value == "histotype"
    assert any("Compare by Histotype: not shown for this selection, because every patient in this "
               "selection has the same histotype (UPS)" in rendered(w.value) for w in at.warning)
    at.sidebar.multiselect(key="histotype").set_value([]).run()
    assert at.selectbox(key="surv_group").value == "histotype"
    assert len(at.dataframe[0].value) > 2 and not any("not shown" in w.value for w in at.warning)


def test_subgroup_variables_survive_a_narrow_filter():
    at = start("pages/subgroups.py")
    chosen = list(at.multiselect(key="sg_vars").value)
    assert "histotype" in chosen and "center" in chosen
    at.sidebar.multiselect(key="histotype").set_value(["ASPS"]).run()
    assert list(at.multiselect(key="sg_vars").value) == chosen
    assert any(rendered(w.value).startswith("Histotype: not shown for this selection") for w in at.warning)
    at.sidebar.multiselect(key="histotype").set_value([]).run()
    assert list(at.multiselect(key="sg_vars").value) == chosen
    table = at.dataframe[0].value
    assert table.astype(str).apply(lambda c: c.str.contains("Histotype")).any().any()


def test_survival_choices_round_trip_through_the_url():
    """A shared link reproduces the view: the choices are read from the URL, and each change
    is written back (option keys, not labels; defaults left out)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/survival.py")
    shared = {"endpoint": "OS", "by": "histotype", "test": "breslow", "ci": "log", "bands": "1", "risk": "kmunicate", "min": "3"}
    for k, v in shared.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="surv_endpoint").value == "OS"
    assert at.selectbox(key="surv_group").value == "histotype"
    assert at.selectbox(key="surv_test").value == "breslow"
    assert at.selectbox(key="surv_ci").value == "log"
    assert at.toggle(key="surv_bands").value is True
    assert at.selectbox(key="surv_risk").value == "kmunicate"
    assert at.number_input(key="surv_min").value == 3
    assert any(rendered(m.value).startswith("**Breslow") for m in at.markdown)
    # A change goes into the URL; going back to a default takes the parameter out.
    at.selectbox(key="surv_group").set_value("line_2").run()
    assert at.query_params["by"] == "line_2"
    at.radio(key="surv_endpoint").set_value("PFS").run()
    assert "endpoint" not in at.query_params
