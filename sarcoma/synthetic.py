"""Synthetic cohorts: a seeded generator of any size for benchmarks, and the sample-file writer.

`generate_cohort(n, seed)` draws n invented patients in the canonical schema with the seed
study's case mix (histotypes, sites, lines, regimens, response by regimen class). It is fully
vectorised: a million rows take a few seconds. Its survival times come from a simple model with
administrative censoring at a data cut-off; they are realistic in shape, not fitted to the paper.

The 72-patient sample cohort that reproduces the seed paper lives in `sarcoma.synthetic_seed`;
`build_seed_cohort` is re-exported here and `write_sample_files` writes it to sample_data/.

Command line:
    python -m sarcoma.synthetic --n 100000 --seed 1 --out cohort.csv
    python -m sarcoma.synthetic --seed-cohort            # rewrite sample_data/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sarcoma.errors import SarcomaError
from sarcoma.schema import AE_COLUMNS, COLUMN_NAMES, DAYS_PER_MONTH
from sarcoma.synthetic_seed import (
    _HISTO_SITES,
    _MET_PATTERNS,
    _PRIOR_LINES_HIGH,
    _PRIOR_LINES_LOW,
    DATA_CUTOFF,
    FIRST_START,
    LAST_START,
    REGIMEN_CLASS,
    REGIMEN_COUNTS,
    build_seed_cohort,
)

__all__ = [
    "SyntheticCohortError",
    "build_seed_cohort",
    "generate_cohort",
    "sample_data_dir",
    "seed_cohort_csv_text",
    "write_sample_files",
]

MAX_ROWS = 50_000_000
GENERATOR_CENTRES: tuple[str, ...] = tuple(f"Centre {i:02d}" for i in range(1, 21))

# Best response by regimen class, as proportions of Table 4's rows (CR, PR, SD, PD, NE).
_BR_LEVELS = np.array(["CR", "PR", "SD", "PD", "NE"], dtype=object)  # codes 0-4
_BR_BY_CLASS: dict[str, tuple[int, ...]] = {
    "ICI monotherapy": (2, 10, 10, 19, 2),  # first: class code 0 is monotherapy
    "Double ICI": (0, 2, 2, 1, 0),
    "ICI + TKI": (1, 6, 5, 3, 6),
    "ICI + chemotherapy": (0, 1, 2, 0, 0),
}
# Prior-therapy classes and the chance that a given prior line used each (first line: mostly
# anthracycline, as in Table 1 where 45 of the 62 pretreated patients had one).
_PRIOR_CLASSES = ("prior_anthracycline", "prior_gemcitabine", "prior_trabectedin", "prior_tki", "prior_other")
_FIRST_LINE_P = np.array([0.72, 0.08, 0.0, 0.06, 0.14])
_LATER_LINE_P = np.array([0.05, 0.25, 0.22, 0.2, 0.28])
_PDL1_VALUES = ("0%", "<1%", "1%", "5%", "10%", "20%", "50%", "80%", ">95%")
_PDL1_P = np.array([0.35, 0.2, 0.1, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02])
_AE_GRADE_P = np.array([0.42, 0.37, 0.19, 0.02])  # grades 1-4 among patients with an AE


class SyntheticCohortError(SarcomaError):
    """A synthetic cohort was asked for with arguments that cannot work."""


def generate_cohort(n: int, seed: int = 0) -> pd.DataFrame:
    """n synthetic patients in the canonical schema; the same (n, seed) gives the same frame.

    Columns are `sarcoma.schema.COLUMN_NAMES` in order: text and categories as Python strings
    (missing = None), flags as bool, counts and events as int64, dates as datetime64 (NaT when
    missing), measurements as float64 (NaN when missing). Centres are "Centre 01".."Centre 20".
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise SyntheticCohortError(f"The number of patients must be a whole number, got {n!r}.")
    if n < 1 or n > MAX_ROWS:
        raise SyntheticCohortError(f"The number of patients must be between 1 and {MAX_ROWS:,}, got {n}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SyntheticCohortError(f"The seed must be a whole number >= 0, got {seed!r}.")
    n = int(n)
    rng = np.random.default_rng(int(seed))
    out: dict[str, np.ndarray] = {}

    def draw(p: np.ndarray | list[float]) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        return rng.choice(len(p), n, p=p / p.sum())

    width = max(3, len(str(n)))
    out["patient_id"] = np.array([f"SYN-{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    out["center"] = _obj(GENERATOR_CENTRES)[draw(np.linspace(2.0, 0.5, len(GENERATOR_CENTRES)))]

    # Histotype, finer histotype and primary site drawn jointly from the sample cohort's table,
    # which follows Table 1 of the seed.
    k = draw([row[4] for row in _HISTO_SITES])
    for j, col in enumerate(("histotype", "histotype_detail", "histotype_original", "primary_site")):
        out[col] = _obj(row[j] for row in _HISTO_SITES)[k]
    site = out["primary_site"]
    female_p = np.where(site == "Uterus", 1.0, np.where(site == "Spermatic cord", 0.0, 22 / 65))
    out["sex"] = _obj(("Male", "Female"))[(rng.random(n) < female_p).astype(np.intp)]
    out["age"] = np.rint(np.clip(rng.normal(56, 15, n), 16, 94))

    metastatic = rng.random(n) >= 9 / 72
    out["disease_stage"] = _obj(("Locally advanced", "Metastatic"))[metastatic.astype(np.intp)]
    pattern = np.array([p[:4] for p in _MET_PATTERNS], dtype=np.int64)[draw([p[4] for p in _MET_PATTERNS])]
    for j, col in enumerate(("met_lung", "met_liver", "met_other")):
        out[col] = pattern[:, j].astype(bool) & metastatic
    out["n_met_sites"] = np.where(metastatic, pattern[:, 3], 0)

    surgery = rng.random(n) < 57 / 72
    out["periop_chemo"] = surgery & (rng.random(n) < 23 / 57)
    out["primary_surgery"] = surgery

    lines = {**_PRIOR_LINES_LOW, **_PRIOR_LINES_HIGH}
    prior = np.array(list(lines), dtype=np.int64)[draw(list(lines.values()))]
    flags = np.zeros((n, len(_PRIOR_CLASSES)), dtype=bool)
    # One class per prior line (at most five lines matter), so no patient has more classes than lines.
    for slot in range(5):
        active = np.flatnonzero(prior > slot)
        cls = draw(_FIRST_LINE_P if slot == 0 else _LATER_LINE_P)
        flags[active, cls[active]] = True
    for j, col in enumerate(_PRIOR_CLASSES):
        out[col] = flags[:, j]
    out["prior_lines"] = prior
    out["line_of_therapy"] = prior + 1

    reg_code = draw(list(REGIMEN_COUNTS.values()))
    out["regimen"] = _obj(REGIMEN_COUNTS)[reg_code]
    class_names = list(_BR_BY_CLASS)
    class_code = np.array([class_names.index(REGIMEN_CLASS[r]) for r in REGIMEN_COUNTS])[reg_code]
    out["regimen_class"] = _obj(class_names)[class_code]

    # Best response (codes into _BR_LEVELS) by regimen class, Table 4's proportions.
    br = np.empty(n, dtype=np.intp)
    for c, counts in enumerate(_BR_BY_CLASS.values()):
        rows = np.flatnonzero(class_code == c)
        p = np.array(counts, dtype=float)
        br[rows] = rng.choice(len(p), len(rows), p=p / p.sum())
    CR, PR, SD, PD, NE = range(5)

    # Survival: latent times to progression and death, censored at the data cut-off. Start dates
    # lean to recent years, as in the seed ("many started ICI over the last 2 years").
    low_line = prior <= 1
    pfs_median = np.array([24.0, 18.0, 6.0, 1.9, 1.5])[br] * np.where(low_line, 1.3, 0.85)
    t_prog = np.exp(np.log(pfs_median) + 0.6 * rng.standard_normal(n))
    t_death = t_prog + np.exp(np.log(np.where(low_line, 14.0, 5.0)) + 0.9 * rng.standard_normal(n))
    # A few die before any progression (the NE patients mostly).
    early = rng.random(n) < np.where(br == NE, 0.4, 0.02)
    t_death = np.where(early, t_prog, t_death)
    first = np.datetime64(FIRST_START, "D")
    span = int((np.datetime64(LAST_START, "D") - first).astype(np.int64))
    start = first + np.rint(span * rng.beta(3.0, 1.0, n)).astype("timedelta64[D]")
    fu_days = (np.datetime64(DATA_CUTOFF, "D") - start).astype(np.int64)
    # Some patients are lost to follow-up before the cut-off.
    lost = rng.random(n) < 0.05
    fu_days = np.where(lost, np.maximum(1, (fu_days * rng.random(n)).astype(np.int64)), fu_days)
    prog_days = np.maximum(1, np.rint(t_prog * DAYS_PER_MONTH)).astype(np.int64)
    death_days = np.maximum(prog_days, np.rint(t_death * DAYS_PER_MONTH).astype(np.int64))

    progressed = (prog_days <= fu_days) & ~early
    died = death_days <= fu_days
    os_days = np.minimum(death_days, fu_days)
    pfs_days = np.where(progressed, prog_days, np.where(died, death_days, os_days))
    pfs_event = progressed | died
    # NE means no scan before progression or death: a long event-free patient was assessed (SD).
    br = np.where((br == NE) & ~pfs_event & (pfs_days > 120), SD, br)

    nat = np.datetime64("NaT", "D")
    out["treatment_start"] = start.astype("datetime64[ns]")
    out["progression_date"] = np.where(progressed, start + prog_days, nat).astype("datetime64[ns]")
    out["death_date"] = np.where(died, start + death_days, nat).astype("datetime64[ns]")
    out["last_follow_up"] = (start + os_days).astype("datetime64[ns]")
    out["pfs_months"] = pfs_days / DAYS_PER_MONTH
    out["pfs_event"] = pfs_event.astype(np.int64)
    out["os_months"] = os_days / DAYS_PER_MONTH
    out["os_event"] = died.astype(np.int64)
    out["best_response"] = _BR_LEVELS[br]

    pct = np.full(n, np.nan)
    pct[br == CR] = -100.0
    pct[br == PR] = -30.0 - 60.0 * rng.beta(1.5, 2.0, int((br == PR).sum()))
    pct[br == SD] = rng.uniform(-29.0, 19.0, int((br == SD).sum()))
    pct[br == PD] = 20.0 + 70.0 * rng.beta(1.2, 3.0, int((br == PD).sum()))
    out["best_pct_change"] = np.round(pct, 1)

    # Treatment status: progression and death end treatment; of the others, some are still on
    # ICI and the rest stopped for toxicity, completion or preference (seed proportions 7:2:1).
    on_treatment = ~pfs_event & (rng.random(n) < 0.75)
    reason = np.where(progressed, 0, np.where(died, 1, np.where(on_treatment, 5, 2 + draw([0.7, 0.2, 0.1]))))
    out["on_treatment"] = on_treatment
    out["discontinuation_reason"] = _obj(("Progression", "Death", "Toxicity", "Treatment completed", "Patient preference", None))[reason]

    # Adverse events: a third of patients (more with combinations); toxicity stops are AE stops.
    toxicity_stop = reason == 2
    any_ae = (rng.random(n) < np.where(class_code == 0, 0.28, 0.42)) | toxicity_stop
    grade = draw(_AE_GRADE_P) + 1
    grade = np.where(toxicity_stop, np.maximum(grade, 2), grade)
    out["any_ae"] = any_ae
    out["max_ae_grade"] = np.where(any_ae, grade, 0).astype(np.int64)
    out["ae_delay"] = any_ae & (rng.random(n) < np.where(grade >= 2, 0.35, 0.05))
    out["ae_discontinuation"] = toxicity_stop

    # Biomarkers: tested in a third of patients, each test on its own.
    tested = rng.random(n) < 1 / 3
    has_pdl1 = tested & (rng.random(n) < 0.7)
    has_tmb = tested & (rng.random(n) < 0.7)
    has_msi = tested & (rng.random(n) < 0.5)
    out["pdl1"] = _obj((*_PDL1_VALUES, None))[np.where(has_pdl1, draw(_PDL1_P), len(_PDL1_VALUES))]
    out["tmb"] = np.where(has_tmb, np.round(np.exp(rng.normal(1.2, 1.0, n)), 1), np.nan)
    out["msi"] = _obj(("High", "Low", None))[np.where(has_msi, (rng.random(n) >= 0.05).astype(np.intp), 2)]

    # Date of first response for CR/PR: ICI responses are mostly seen at the first or second
    # scan (about 2-3 months), a few much later. Drawn last, so every other column is what it
    # was before response dates existed. A response lies between start and the end of PFS
    # (progression, death or censoring); a draw beyond it is put at a uniform point inside.
    responder = (br == CR) | (br == PR)
    resp_days = np.rint(np.exp(np.log(2.5 * DAYS_PER_MONTH) + 0.5 * rng.standard_normal(n))).astype(np.int64)
    inside = np.rint(1 + (pfs_days - 1) * rng.random(n)).astype(np.int64)
    resp_days = np.clip(np.where(resp_days > pfs_days, inside, resp_days), 1, pfs_days)
    out["response_date"] = np.where(responder, start + resp_days, nat).astype("datetime64[ns]")

    # Date treatment ended, drawn after the response dates for the same reason: at or up to three
    # weeks before the progression scan (the last dose), at death for a death on treatment,
    # part-way through the event-free time for toxicity, completion and preference stops; blank
    # while on treatment. Never before the start nor after the last contact.
    before_scan = rng.integers(0, 22, n)
    part_way = np.rint(os_days * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    stop_days = np.select([reason == 0, reason == 1], [prog_days - before_scan, death_days], part_way)
    stop_days = np.clip(stop_days, 1, np.maximum(os_days, 1))
    out["treatment_end"] = np.where(reason == 5, nat, start + stop_days).astype("datetime64[ns]")

    # copy=False keeps one block per column: consolidating a million rows costs more than it saves.
    return pd.DataFrame({c: out[c] for c in COLUMN_NAMES}, copy=False)


def _obj(values) -> np.ndarray:
    """Object array of labels, to be indexed by integer codes (much faster than np.where on str)."""
    return np.array(list(values), dtype=object)


def sample_data_dir() -> Path:
    """The repository's sample_data/ folder."""
    return Path(__file__).resolve().parent.parent / "sample_data"


def _csv_text(frame: pd.DataFrame) -> str:
    # "%.10g" writes 56 rather than 56.0 and keeps every stored decimal of the other numbers.
    return frame.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.10g", lineterminator="\n")


def seed_cohort_csv_text() -> tuple[str, str]:
    """The sample cohort and its adverse events exactly as written to sample_data/ (CSV text)."""
    patients, ae = build_seed_cohort()
    return _csv_text(patients), _csv_text(ae)


def write_sample_files(out_dir: Path | None = None) -> list[Path]:
    """Write sample_cohort.csv, sample_adverse_events.csv and sample_cohort.xlsx; return the paths."""
    out_dir = sample_data_dir() if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    patients, ae = build_seed_cohort()
    cohort_text, ae_text = _csv_text(patients), _csv_text(ae)
    paths = [out_dir / "sample_cohort.csv", out_dir / "sample_adverse_events.csv", out_dir / "sample_cohort.xlsx"]
    paths[0].write_text(cohort_text, encoding="utf-8")
    paths[1].write_text(ae_text, encoding="utf-8")
    with pd.ExcelWriter(paths[2], engine="openpyxl") as xl:
        _for_excel(patients).to_excel(xl, sheet_name="patients", index=False)
        ae[[c.name for c in AE_COLUMNS]].to_excel(xl, sheet_name="adverse_events", index=False)
    return paths


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    # Excel has no time of day here: write dates as dates, not midnight datetimes.
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.date
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sarcoma.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, help="number of patients to generate")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, help="CSV file to write the generated cohort to")
    parser.add_argument("--seed-cohort", action="store_true", help="rewrite the sample files in sample_data/")
    parser.add_argument("--out-dir", type=Path, help="with --seed-cohort: folder to write to instead of sample_data/")
    args = parser.parse_args(argv)
    if args.seed_cohort:
        for path in write_sample_files(args.out_dir):
            print(path)
        return 0
    if args.n is None or args.out is None:
        parser.error("give --n and --out to generate a cohort, or --seed-cohort to rewrite the sample files")
    try:
        cohort = generate_cohort(args.n, args.seed)
    except SyntheticCohortError as exc:
        parser.error(str(exc))
    args.out.write_text(_csv_text(cohort), encoding="utf-8")
    print(f"{len(cohort):,} patients written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
