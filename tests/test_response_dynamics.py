"""Duration of response (DoR), time to response (TTR) and time to treatment failure (TTF) worked
by hand on a small dated file, read the way a centre's export is read (load_cohort, dd/mm/yyyy);
the data-quality rules with the report's counts; properties of the derivations.

Hand calculation: whole days between the dates (counted month by month in the comments) /
30.4375 days per month (365.25 / 12), the convention ingest uses for PFS and OS.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma.endpoints import (
    DISTRIBUTIONS,
    ENDPOINTS,
    REGISTRY,
    endpoint_data,
    endpoint_exclusions,
    evaluate_endpoint,
)
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import survival_by_group
from sarcoma.views import ViewContext
from sarcoma.views.survival import SurvivalOptions, survival_view

DPM = 30.4375
HEADER = ("patient_id,histotype,prior_lines,regimen,treatment_start,response_date,progression_date,death_date,"
          "last_follow_up,treatment_end,on_treatment,discontinuation_reason,best_response")
ROWS = """\
R1,UPS,1,pembrolizumab,01/02/2021,12/04/2021,15/09/2021,,10/01/2022,01/09/2021,no,Progression,PR
R2,LMS,1,nivolumab,01/03/2021,26/04/2021,,,01/03/2022,,yes,,CR
R3,LPS,2,pembrolizumab,15/01/2021,15/03/2021,,20/07/2021,20/07/2021,20/07/2021,no,Death,PR
R4,UPS,1,pembrolizumab,01/02/2021,,,,01/12/2021,10/06/2021,no,Toxicity,PR
R5,LMS,0,nivolumab,01/03/2021,15/02/2021,,,01/12/2021,,yes,,PR
R6,LPS,1,nivolumab,01/02/2021,10/06/2021,01/06/2021,,01/12/2021,01/06/2021,no,Progression,CR
N1,UPS,2,nivolumab,01/02/2021,,01/06/2021,01/11/2021,01/11/2021,01/06/2021,no,Progression,SD
N2,LMS,3,pembrolizumab,01/02/2021,,15/03/2021,,01/12/2021,15/03/2021,no,Progression,PD
T1,UPS,1,nivolumab,01/05/2021,,,,01/12/2021,01/04/2021,no,Toxicity,SD
T2,UPS,1,nivolumab,01/02/2021,,,01/05/2021,01/05/2021,01/06/2021,no,Death,SD
T3,UPS,1,nivolumab,01/02/2021,,,,01/12/2021,01/07/2021,yes,,SD
T4,UPS,1,nivolumab,01/02/2021,,,,01/12/2021,,no,Toxicity,SD
T5,UPS,1,nivolumab,01/02/2021,,,01/04/2021,01/04/2021,,,,NE
"""
NOT_A_RESPONDER = "not a responder (best response not CR or PR)"


@pytest.fixture(scope="module")
def dated():
    cohort, report = load_cohort((HEADER + "\n" + ROWS).encode())
    return cohort, report


def by_id(cohort: pd.DataFrame, key: str) -> pd.DataFrame:
    data = endpoint_data(cohort, key)
    return data.set_axis(cohort.loc[data.index, "patient_id"].astype(str))


# --------------------------------------------------------------------------- hand-worked values


def test_duration_of_response_by_hand(dated):
    cohort, _ = dated
    dor = by_id(cohort, "DoR")
    assert list(dor.index) == ["R1", "R2", "R3"]
    # R1: response 12/04 -> progression 15/09/2021 = 18 + 31 + 30 + 31 + 31 + 15 = 156 days, event.
    # R2: response 26/04/2021 -> last follow-up 01/03/2022 = 4 + 31+30+31+31+30+31+30+31 + 31+28 + 1
    #     = 309 days, censored (no progression, alive).
    # R3: response 15/03 -> death 20/07/2021 = 16 + 30 + 31 + 30 + 20 = 127 days, event (death).
    assert dor["time"].tolist() == pytest.approx([156 / DPM, 309 / DPM, 127 / DPM], rel=1e-12)
    assert dor["event"].tolist() == [1, 0, 1]


def test_time_to_response_by_hand(dated):
    cohort, _ = dated
    ttr = by_id(cohort, "TTR")
    # R1: 01/02 -> 12/04/2021 = 27 + 31 + 12 = 70 days; R2: 01/03 -> 26/04 = 30 + 26 = 56;
    # R3: 15/01 -> 15/03 = 16 + 28 + 15 = 59. R4 has no date; R5's and R6's were contradictions.
    assert ttr["time"].tolist() == pytest.approx([70 / DPM, 56 / DPM, 59 / DPM], rel=1e-12)
    assert ttr["event"].tolist() == [1, 1, 1]
    reasons = endpoint_exclusions(cohort, "TTR").set_axis(cohort["patient_id"])
    assert reasons["R4"] == "responder (CR or PR) without a usable response date"
    assert reasons["N1"] == NOT_A_RESPONDER


def test_time_to_treatment_failure_by_hand(dated):
    cohort, _ = dated
    ttf = by_id(cohort, "TTF")
    expected = {
        "R1": (212, 1),  # end 01/09/2021: 28 + 31 + 30 + 31 + 30 + 31 + 31 days (Feb-Aug)
        "R2": (365, 0),  # still on treatment: censored at the last follow-up a year later
        "R3": (186, 1),  # died on treatment 20/07/2021 (end = death): 16 + 28 + 31 + 30 + 31 + 30 + 20
        "R4": (129, 1),  # toxicity stop 10/06/2021: 27 + 31 + 30 + 31 + 10
        "R5": (275, 0),  # on treatment: censored at 01/12/2021: 30 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 1
        "R6": (120, 1),  # 01/02 -> 01/06/2021
        "N1": (120, 1),
        "N2": (42, 1),  # 01/02 -> 15/03/2021: 27 + 15
        "T5": (59, 1),  # died 01/04/2021 with no end date and no other reason: treatment ended at death
    }
    assert list(ttf.index) == list(expected)
    assert ttf["time"].tolist() == pytest.approx([d / DPM for d, _ in expected.values()], rel=1e-12)
    assert ttf["event"].tolist() == [e for _, e in expected.values()]


def test_kaplan_meier_of_dor_and_ttf_by_hand(dated):
    cohort, _ = dated
    # DoR: events at 127 (3 at risk) and 156 days (2 at risk): S = 2/3, then 1/3: median 156 days.
    dor = survival_by_group(cohort, "DoR", None).curves["All patients"]
    assert dor.median == pytest.approx(156 / DPM, rel=1e-12)
    assert dor.survival_at(np.array([5.0])).survival == pytest.approx(2 / 3)
    # TTF: events at 42, 59, 120 (x2), 129 days among 9: S = 8/9, 7/9, 5/9, 4/9 -> median 129 days.
    ttf = survival_by_group(cohort, "TTF", None).curves["All patients"]
    assert (ttf.n, ttf.n_events) == (9, 7)
    assert ttf.median == pytest.approx(129 / DPM, rel=1e-12)
    assert ttf.survival_at(np.array([4.0])).survival == pytest.approx(5 / 9)


# --------------------------------------------------------------------------- rules and report counts


def test_rules_are_reported_with_the_counts(dated):
    cohort, report = dated
    assert report.invariant_problems() == []
    assert report.rows_read == 13
    for key in ("PFS", "OS", "Response", "DoR", "TTF"):
        assert report.analysed[key] + report.excluded[key] == report.rows_read
    # DoR: 3 analysed; the 7 non-responders are out of its scope (counted, not listed); 3 listed.
    assert (report.analysed["DoR"], report.excluded["DoR"]) == (3, 10)
    assert report.not_eligible["DoR"] == {NOT_A_RESPONDER: 7}
    issues = report.issues.set_index("patient_id")
    dor = issues[issues["endpoint"] == "DoR"]
    assert dor["excludes"].all()
    assert dor["problem_kind"].to_dict() == {
        "R4": "responder without response date",  # counted in the response rate, not in DoR/TTR
        "R5": "response before treatment start",
        "R6": "response after progression",
    }
    assert dor.loc["R4", "action"] == ("counted in the response rate; left out of landmark analyses by response date; "
                                       "excluded from DoR and TTR")
    # TTF: the four treatment-date rules, one excluding issue each, on the treatment end column.
    assert (report.analysed["TTF"], report.excluded["TTF"]) == (9, 4)
    ttf = issues[issues["endpoint"] == "TTF"]
    assert ttf["excludes"].all() and set(ttf["column"]) == {"treatment_end"}
    assert ttf["problem_kind"].to_dict() == {
        "T1": "treatment end before start",
        "T2": "treatment end after death",
        "T3": "on treatment with a treatment end",
        "T4": "treatment end missing",
    }
    assert ttf.loc["T1", "value"] == "01/04/2021"  # as written in the file
    assert ttf.loc["T4", "problem"] == "treatment stopped (Toxicity) but the treatment end date is missing"
    # The response rate is untouched: 12 evaluable (T5 is NE), responders with or without dates.
    assert report.analysed["Response"] == 12
    # The report's counts are the analyses' counts.
    assert report.analysed["DoR"] == len(endpoint_data(cohort, "DoR"))
    assert report.analysed["TTF"] == len(endpoint_data(cohort, "TTF"))
    summary = report.summary()
    assert "DoR: 3 analysed, 10 excluded (not a responder (best response not CR or PR): 7;" in summary
    assert "TTF: 9 analysed, 4 excluded (" in summary


def test_dor_and_ttf_are_reported_only_when_the_file_has_their_dates():
    text = ("patient_id,histotype,prior_lines,regimen,treatment_start,last_follow_up,best_response\n"
            "P1,UPS,1,nivolumab,01/02/2021,01/12/2021,PR\n")
    _, report = load_cohort(text.encode())
    assert list(report.analysed) == ["PFS", "OS", "Response"] and report.issues.empty


def test_survival_view_of_dor_states_its_eligibility_and_the_left_out(dated):
    cohort, _ = dated
    view = survival_view(cohort, SurvivalOptions(endpoint="DoR"), ViewContext(dataset=cohort))
    assert view.title.startswith("Duration of response")
    assert "Analysed 3 of 13 patients in the selection (responders (CR/PR) with a response date)." in view.notes
    assert f"Not in the curves: 7 patient(s) — {NOT_A_RESPONDER}." in view.notes
    assert "Not in the curves: 3 patient(s) — responder (CR or PR) without a usable response date." in view.notes
    assert view.figures[0].figure.layout.xaxis.title.text == "Months from first response (CR/PR)"
    assert view.figures[0].figure.layout.yaxis.title.text == "Probability of remaining in response"


# --------------------------------------------------------------------------- the registry


def test_registry_kinds_and_loops():
    # Loops that draw Kaplan-Meier curves see time-to-event endpoints only; TTR is a distribution.
    assert list(ENDPOINTS) == ["PFS", "OS", "DoR", "TTF"]
    assert list(DISTRIBUTIONS) == ["TTR"] and DISTRIBUTIONS["TTR"].kind == "distribution"
    assert {e.kind for e in ENDPOINTS.values()} == {"time-to-event"}
    for key, e in REGISTRY.items():
        assert e.key == key and e.title and e.name and e.definition and e.eligibility and e.event_words


DATES = st.one_of(st.none(), st.integers(-30, 900))


@st.composite
def patients(draw):
    """A patient as day offsets from the start (None: blank), with a status and best response."""
    return {
        "best_response": draw(st.sampled_from(["CR", "PR", "SD", "PD", "NE", None])),
        "response": draw(DATES), "progression": draw(DATES), "death": draw(DATES), "follow_up": draw(DATES),
        "end": draw(DATES), "on": draw(st.sampled_from([True, False, None])),
        "reason": draw(st.sampled_from(["Progression", "Toxicity", "Death", None])),
        "start": draw(st.booleans()),
    }


def cohort_of(rows: list[dict]) -> pd.DataFrame:
    day0 = pd.Timestamp("2021-01-01")

    def date(offset):
        return pd.NaT if offset is None else day0 + pd.Timedelta(days=offset)

    frame = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(len(rows))],
        "best_response": [r["best_response"] for r in rows],
        "treatment_start": [day0 if r["start"] else pd.NaT for r in rows],
        **{col: [date(r[key]) for r in rows] for col, key in (
            ("response_date", "response"), ("progression_date", "progression"), ("death_date", "death"),
            ("last_follow_up", "follow_up"), ("treatment_end", "end"))},
        "on_treatment": pd.array([r["on"] for r in rows], dtype="boolean"),
        "discontinuation_reason": [r["reason"] for r in rows],
    })
    for col in ("treatment_start", "response_date", "progression_date", "death_date", "last_follow_up", "treatment_end"):
        frame[col] = frame[col].astype("datetime64[ns]")
    return frame


@settings(max_examples=50, deadline=None)
@given(st.lists(patients(), min_size=1, max_size=25))
def test_every_patient_is_analysed_or_has_a_reason_and_times_follow_the_dates(rows):
    cohort = cohort_of(rows)
    for key in REGISTRY:
        table = evaluate_endpoint(cohort, key)
        analysed = table["reason"].isna()
        # Every patient: analysed with a time and an event, or a reason; never both.
        assert (table.loc[analysed, ["time", "event"]].notna().all(axis=1)).all()
        assert table.loc[~analysed, "time"].isna().all()
        assert set(endpoint_data(cohort, key).index) == set(cohort.index[analysed])
        assert (table.loc[analysed, "time"] >= 0).all() and table.loc[analysed, "event"].isin([0, 1]).all()
    # DoR only for responders, and it is PFS restarted at the response: TTR + DoR = the PFS time
    # from the dates, with the same event.
    dor, ttr = endpoint_data(cohort, "DoR"), endpoint_data(cohort, "TTR")
    assert cohort.loc[dor.index, "best_response"].isin(["CR", "PR"]).all()
    both = dor.index.intersection(ttr.index)
    for i in both:
        r = rows[i]
        ends = [d for d in (r["progression"], r["death"]) if d is not None]
        end = min(ends) if ends else r["follow_up"]
        assert (ttr.loc[i, "time"] + dor.loc[i, "time"]) * DPM == pytest.approx(end, abs=1e-9)
        assert dor.loc[i, "event"] == int(bool(ends))
    # TTF: an end date is an event at that date; no end date while on treatment is censored.
    ttf = endpoint_data(cohort, "TTF")
    for i in ttf.index:
        r = rows[i]
        if r["end"] is not None:
            assert (ttf.loc[i, "time"] * DPM, ttf.loc[i, "event"]) == (pytest.approx(r["end"]), 1)
        elif r["death"] is None:
            assert (ttf.loc[i, "time"] * DPM, ttf.loc[i, "event"]) == (pytest.approx(r["follow_up"]), 0)


def _csv(rows: list[dict]) -> bytes:
    day0 = dt.date(2021, 1, 1)

    def text(offset):
        return "" if offset is None else (day0 + dt.timedelta(days=offset)).strftime("%d/%m/%Y")

    lines = [HEADER]
    for i, r in enumerate(rows):
        on = {True: "yes", False: "no", None: ""}[r["on"]]
        lines.append(",".join([f"P{i}", "UPS", "1", "nivolumab", text(0) if r["start"] else "", text(r["response"]),
                               text(r["progression"]), text(r["death"]), text(r["follow_up"]), text(r["end"]), on,
                               r["reason"] or "", r["best_response"] or ""]))
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=25, deadline=None)
@given(st.lists(patients(), min_size=2, max_size=12))
def test_ingest_counts_match_the_analysis_for_any_dated_file(rows):
    rows[0] = {**rows[0], "end": 30, "response": 20, "best_response": "PR", "start": True}  # the file has both kinds of date
    cohort, report = load_cohort(_csv(rows))
    assert report.invariant_problems() == []
    for key in ("DoR", "TTF"):
        assert report.analysed[key] == len(endpoint_data(cohort, key))
        assert report.analysed[key] + report.excluded[key] == report.rows_read
