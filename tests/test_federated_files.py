"""The aggregate file: what leaves the centre (no identifier, no date, no row, no small cell),
how it reads back, and the plain-language errors for wrong, newer, damaged or mismatched files.

Disclosure expectations are counted by hand from the small cohorts built here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma.errors import SarcomaError
from sarcoma.federated import (
    MERGED,
    AggregateFileError,
    DisclosureError,
    PoolError,
    aggregate_document,
    coarsen_times,
    document_bytes,
    export_aggregates,
    pool,
    read_aggregates,
)
from sarcoma.federated.disclosure import (
    median_from_bins,
    median_of_counts,
    protect_bands,
    protect_cells,
)
from sarcoma.federated.export import SCHEMA_VERSION
from sarcoma.ingest import load_cohort
from sarcoma.schema import HISTOTYPES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    cohort, _ = load_cohort(SAMPLE)
    return cohort


def big_centre(sample: pd.DataFrame) -> pd.DataFrame:
    return sample[sample["center"].isin(["Centre A (synthetic)", "Centre B (synthetic)", "Centre C (synthetic)"])]


# --------------------------------------------------------------------------- nothing identifying


def test_the_file_holds_no_patient_identifier_date_or_row(sample):
    raw = export_aggregates(sample, centre="Centre Ω", min_cell=5)
    text = raw.decode("utf-8")
    # No patient identifier: neither the IDs nor the column that holds them.
    for pid in sample["patient_id"]:
        assert pid not in text
    assert "patient_id" not in text and "source_row" not in text
    # No date in any format a spreadsheet or the ingest would write, and no date column.
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|T\d{2}:\d{2}", text)
    for column in ("treatment_start", "progression_date", "death_date", "last_follow_up", "response_date"):
        assert column not in text
    for value in sample["treatment_start"].dropna().dt.strftime("%Y-%m-%d"):
        assert value not in text
    # No free text of a patient (details, PD-L1 strings) and no per-patient values.
    for value in sample["histotype_detail"].dropna().unique():
        if value not in HISTOTYPES:  # a detail such as "Chordoma" or "uterine LMS"
            assert value not in text
    assert "pdl1" not in text and "tmb" not in text and "best_pct_change" not in text
    doc = json.loads(text)
    # No patient row: a life table row is a (level, time, events, censorings) count and nothing
    # else, one grouping at a time (never crossed); response and Table 1 entries are counts.
    for endpoint in doc["endpoints"].values():
        assert set(endpoint["overall"]) == {"time", "events", "censored"}
        for table in endpoint["by"].values():
            assert set(table) == {"levels", "level", "time", "events", "censored", "not_recorded", "left_out", "merged", "withheld"}
    for counts in doc["response"]["by"]["histotype"]["levels"].values():
        assert set(counts) == {"CR", "PR", "SD", "PD", "NE", "missing"}
    # Whole months: at most one row per level and month.
    coarse = json.loads(export_aggregates(sample, centre="C", min_cell=5, time_precision="1 month"))
    table = coarse["endpoints"]["PFS"]["by"]["histotype"]
    assert len(table["time"]) == len(set(zip(table["level"], table["time"], strict=True))) < len(sample)
    assert all(float(t).is_integer() for t in table["time"])
    # The keys at the top are the documented sections.
    assert set(doc) == {"format", "schema_version", "tool_version", "about", "centre", "n_patients", "settings",
                        "groupings", "endpoints", "response", "table1", "disclosure"}
    assert doc["schema_version"] == SCHEMA_VERSION and doc["tool_version"]


def test_the_file_reads_back_to_the_same_tables(sample):
    centre = big_centre(sample)
    doc = aggregate_document(centre, centre="A+B+C", min_cell=1)
    back = read_aggregates(document_bytes(doc), "abc.json")
    assert back.centre == "A+B+C" and back.n_patients == len(centre)
    pfs = back.endpoints["PFS"]
    assert pfs.n == len(centre) and int(pfs.overall.events.sum()) == int(centre["pfs_event"].sum())
    assert int(pfs.by["histotype"].table.n_by_group().sum()) == len(centre)


# --------------------------------------------------------------------------- disclosure control


def test_small_levels_are_merged_with_the_reason_in_the_file(sample):
    centre = big_centre(sample)  # 34 patients
    doc = aggregate_document(centre, centre="ABC", min_cell=5)
    counts = centre["histotype"].value_counts()
    small = sorted(counts[counts < 5].index)
    table = doc["endpoints"]["PFS"]["by"]["histotype"]
    assert sorted(table["merged"]) == small
    assert MERGED in table["levels"] and not set(small) & set(table["levels"])
    # Every shared level has at least 5 patients (events + censorings per level).
    level = np.array(table["level"])
    sizes = [int(np.add(np.array(table["events"])[level == i], np.array(table["censored"])[level == i]).sum())
             for i in range(len(table["levels"]))]
    assert min(sizes) >= 5 and sum(sizes) == len(centre)
    reasons = [d["reason"] for d in doc["disclosure"] if d["section"] == "PFS by Histotype"]
    assert len(reasons) == 1 and all(f"'{s}'" in reasons[0] for s in small) and "fewer than 5" in reasons[0]
    # Table 1 and response counts too.
    assert min(doc["table1"]["histotype"]["counts"].values()) >= 5
    assert all(sum(c[k] for k in ("CR", "PR", "SD", "PD", "NE")) >= 5
               for c in doc["response"]["by"]["histotype"]["levels"].values())


def test_suppressed_levels_leave_no_small_complement():
    # Hand count: A 10, B 7, C 2, not recorded 1. Suppressing C alone would leave 3 patients
    # out (C + not recorded), and the overall table minus A and B would show them: B goes too.
    p = protect_cells({"A": 10, "B": 7, "C": 2, "NR": 1}, 5, "suppress", outside=("NR",))
    assert p.shown == {"A": "A", "B": None, "C": None, "NR": None} and set(p.left_out) == {"B", "C", "NR"}
    # Merging: C and the unrecorded patient form a cell of 3, so the smallest level joins them.
    p = protect_cells({"A": 10, "B": 7, "C": 2, "NR": 1}, 5, "merge", outside=("NR",))
    assert p.shown == {"A": "A", "B": MERGED, "C": MERGED, "NR": MERGED}
    # Nothing can be split: withheld (the total is shared anyway).
    assert protect_cells({"A": 30, "B": 1}, 5).withheld
    assert not protect_cells({"A": 30, "B": 1}, 1).changed


def test_bands_merge_from_the_tails_and_hide_the_extremes():
    # Hand count: 15-19: 1, 25-29: 3, 30-34: 6, 35-39: 2, 40-44: 7, 90-94: 1.
    bands = [(15, 20, 1), (25, 30, 3), (30, 35, 6), (35, 40, 2), (40, 45, 7), (90, 95, 1)]
    assert protect_bands(bands, 5) == [(None, 35, 10), (35, None, 10)]
    assert protect_bands(bands, 1) == bands
    assert protect_bands([(15, 20, 3)], 5) is None


def test_medians_from_bins_and_counts():
    # Grouped median: n = 20, half = 10 reached at the edge 10 -> 10.
    assert median_from_bins([(0, 10, 10), (10, 20, 10)]) == 10
    # 3 + 4 + 5 patients in overlapping bands of two centres: 3 + 5/2 = 5.5 below 55, 12 below
    # 60, so half (6) is reached 0.5/6.5 of the way from 55 to 60.
    assert median_from_bins([(50, 55, 3), (55, 60, 4), (50, 60, 5)]) == pytest.approx(55 + 5 * 0.5 / 6.5)
    assert np.isnan(median_from_bins([(None, 10, 11), (10, 20, 10)]))  # inside an open band
    assert median_of_counts([1, 2, 3], [1, 1, 2]) == 2.5
    assert median_of_counts([0, 1, 2], [3, 1, 1]) == 0


def test_age_is_shared_in_five_year_bands_and_the_median_is_labelled(sample):
    doc = aggregate_document(sample, centre="All", min_cell=1)
    age = doc["table1"]["age"]
    assert age["band_width"] == 5 and all((hi - lo) == 5 and lo % 5 == 0 for lo, hi, _ in age["bands"])
    assert sum(n for _, _, n in age["bands"]) == int(sample["age"].notna().sum())
    files = [read_aggregates(document_bytes(doc), "all.json")]
    table, notes = pool(files).table1()
    row = table[table["Characteristic"] == "Age at ICI initiation (years)"].iloc[0]
    assert row["level"] == "median (range) from 5-year bands"
    assert "estimated from the age bands the centres shared" in notes[0]


def test_times_are_coarsened_half_up_on_the_months_axis():
    t = np.array([0.04, 0.05, 0.25, 2.45, 1.0, 14.99])
    np.testing.assert_array_equal(coarsen_times(t, "0.1 month"), [0.0, 0.1, 0.3, 2.5, 1.0, 15.0])
    np.testing.assert_array_equal(coarsen_times(t, "1 month"), [0.0, 0.0, 0.0, 2.0, 1.0, 15.0])
    # 1 month = 30.4375 days = 4.348 weeks -> 4 weeks = 0.9199 months.
    assert coarsen_times([1.0], "1 week")[0] == pytest.approx(28 / 30.4375)
    np.testing.assert_array_equal(coarsen_times(t, None), t)


def test_post_baseline_groupings_only_when_asked_and_marked(sample):
    plain = aggregate_document(sample, centre="All", min_cell=5)
    assert not any(g["post_baseline"] for g in plain["groupings"].values())
    assert "responder" not in plain["endpoints"]["PFS"]["by"]
    marked = aggregate_document(sample, centre="All", min_cell=5, include_post_baseline=True)
    assert marked["settings"]["post_baseline"] is True
    assert marked["groupings"]["responder"]["post_baseline"] is True
    assert "responder" in marked["endpoints"]["PFS"]["by"]
    pooled = pool([read_aggregates(document_bytes(marked), "marked.json")])
    assert any("guarantee-time bias" in n for n in pooled.notes)


def test_a_centre_too_small_to_share_is_refused_in_plain_words(sample):
    tiny = sample[sample["center"] == "Centre H (synthetic)"]  # 2 patients
    with pytest.raises(DisclosureError, match="2 patient.*fewer than the minimum cell size of 5"):
        export_aggregates(tiny, centre="H", min_cell=5)
    with pytest.raises(DisclosureError, match="centre's name"):
        export_aggregates(sample, centre="  ")
    with pytest.raises(DisclosureError, match="time precision"):
        export_aggregates(sample, centre="A", time_precision="1 day")
    with pytest.raises(DisclosureError, match="minimum cell size"):
        export_aggregates(sample, centre="A", min_cell=0)
    twice = pd.concat([tiny, tiny])
    with pytest.raises(DisclosureError, match="more than one row"):
        export_aggregates(twice, centre="H", min_cell=1)


# --------------------------------------------------------------------------- reading files


@pytest.fixture(scope="module")
def good(sample) -> bytes:
    return export_aggregates(big_centre(sample), centre="ABC", min_cell=5)


def _edited(raw: bytes, change) -> bytes:
    doc = json.loads(raw)
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04rest of a workbook", "spreadsheet or a zip archive"),
        (b"%PDF-1.7", "PDF"),
        (b"\xff\xfe\x00\x01\x80", "not a text file"),
        (b"patient_id;center\nP1;A\n", "looks like a table"),
        (b'{"format": "something else"}', "not an aggregate file of the sarcoma ICI cohort explorer"),
        (b'{"format": "sarcoma-ici-explorer aggregate counts", "schema_version": 1, "n_patients": NaN}', "damaged"),
        (b"[" * 100_000, "looks like a table|damaged"),
    ],
)
def test_wrong_files_are_explained_naming_the_file(data, message):
    with pytest.raises(AggregateFileError, match=message) as info:
        read_aggregates(data, "upload.json")
    assert str(info.value).startswith("upload.json cannot be pooled")


def test_a_file_cut_short_or_edited_is_refused(good):
    with pytest.raises(AggregateFileError, match="damaged or cut short"):
        read_aggregates(good[: len(good) // 2], "half.json")
    newer = _edited(good, lambda d: d.update(schema_version=SCHEMA_VERSION + 1))
    with pytest.raises(AggregateFileError, match="newer version of this tool"):
        read_aggregates(newer, "newer.json")
    def bad_count(d):
        d["endpoints"]["PFS"]["overall"]["events"][0] = -1
    with pytest.raises(AggregateFileError, match="not readable"):
        read_aggregates(_edited(good, bad_count), "edited.json")
    def inflated(d):
        d["endpoints"]["PFS"]["overall"]["censored"][0] += 3
    with pytest.raises(AggregateFileError, match="holds .* patients, not the"):
        read_aggregates(_edited(good, inflated), "inflated.json")
    def infinite_time(d):
        d["endpoints"]["OS"]["overall"]["time"][0] = 1e400
    with pytest.raises(AggregateFileError):
        read_aggregates(_edited(good, infinite_time), "inf.json")


def test_every_error_is_a_sarcoma_error():
    assert issubclass(AggregateFileError, SarcomaError)
    assert issubclass(DisclosureError, SarcomaError)
    assert issubclass(PoolError, SarcomaError)


# --------------------------------------------------------------------------- pooling mismatched files


def test_mismatches_across_files_are_named(sample):
    a = read_aggregates(export_aggregates(sample[sample["center"] == "Centre A (synthetic)"], centre="Centre A", min_cell=5), "a.json")
    b_rows = sample[sample["center"] == "Centre B (synthetic)"]
    b = read_aggregates(export_aggregates(b_rows, centre="centre a", min_cell=5, time_precision="1 week"), "b.json")
    with pytest.raises(PoolError, match="a.json and a.json are the same file|same file"):
        pool([a, read_aggregates(export_aggregates(sample[sample["center"] == "Centre A (synthetic)"], centre="Centre A",
                                                   min_cell=5), "again.json")])
    pooled = pool([a, b])
    notes = " ".join(pooled.notes)
    assert "a.json and b.json say they come from the same centre" in notes
    assert "different precisions" in notes and "b.json: 1 week" in notes
    assert pooled.centres == ["Centre A (a.json)", "centre a (b.json)"]  # two strata, named by file
    c = read_aggregates(export_aggregates(b_rows, centre="C", min_cell=5, line_cut=4), "c.json")
    with pytest.raises(PoolError, match="c.json groups the line of therapy at 4 or later, a.json at 3"):
        pool([a, c])
    # A file without an endpoint, or with labels outside the vocabulary, is named.
    def drop_os(d):
        del d["endpoints"]["OS"]
    old = read_aggregates(_edited(export_aggregates(b_rows, centre="D", min_cell=5), drop_os), "old.json")
    pooled = pool([a, old])
    assert "OS is not in old.json, so OS is not pooled." in pooled.notes
    # The sample records response and treatment-end dates (issue 14): DoR and TTF are shared too.
    assert list(pooled.endpoints()) == ["PFS", "DoR", "TTF"]
    odd_rows = b_rows.assign(histotype=b_rows["histotype"].replace({"UPS": "Pleomorphic sarcoma NOS"}))
    odd = read_aggregates(export_aggregates(odd_rows, centre="E", min_cell=1), "odd.json")
    assert any("odd.json uses histotype labels outside this tool's vocabulary (Pleomorphic sarcoma NOS)" in n
               for n in pool([a, odd]).notes)
