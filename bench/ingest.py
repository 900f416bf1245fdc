"""Cohort ingest: time and peak memory of `load_cohort` vs a plain `pd.read_csv` of the same file.

Run: `python -m bench ingest`. Synthetic cohorts from `sarcoma.synthetic.generate_cohort`
(all canonical columns) are written to a temporary directory, deleted afterwards, in two
styles: "plain" (comma, ISO dates, decimal point, UTF-8: the fast path) and "European"
(semicolon, decimal comma, dd/mm/yyyy, cp1252: every number goes through the per-value
parser). Each measurement runs in a fresh child process that reports its own wall time for
the call and its peak resident memory (ru_maxrss, which also counts numpy/pyarrow buffers
that tracemalloc misses; it includes the interpreter and imports, so the import-only RSS of
the same child is printed too). Linux carries ru_maxrss over from the parent at fork, so the
files are generated in a separate child and this parent stays small (no pandas imported).
Goal: 1M rows under 1.5 GB peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = (100_000, 1_000_000)
SEED = 7
GOAL_MB = 1536

_CHILD = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
import pandas as pd
if kind == "ingest":
    from sarcoma.ingest import load_cohort
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
if kind == "ingest":
    cohort, report = load_cohort(path, max_bytes=None)
    rows = report.rows_read
    ok = report.invariant_problems() == [] and len(cohort) == rows
else:
    eu = path.endswith(".eu.csv")
    frame = pd.read_csv(path, sep=";" if eu else ",", encoding="cp1252" if eu else "utf-8",
                        decimal="," if eu else ".")
    rows, ok = len(frame), True
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "import_mb": base, "rows": rows, "ok": ok}))
"""

# Files: sarcoma.synthetic.generate_cohort (another module's seeded generator), written plain
# and European-style (Norwegian ja/nei for the yes/no columns, as a centre might).
_GENERATE = r"""
import sys
import numpy as np
import pandas as pd
from sarcoma.synthetic import generate_cohort
n, seed, plain, european = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
frame = generate_cohort(n, seed)
frame.to_csv(plain, index=False, date_format="%Y-%m-%d")
for name in frame.columns:
    if pd.api.types.is_bool_dtype(frame[name]):
        frame[name] = np.where(frame[name], "ja", "nei")
frame.to_csv(european, index=False, sep=";", decimal=",", date_format="%d/%m/%Y", encoding="cp1252")
"""


def write_files(folder: Path, n: int) -> dict[str, Path]:
    files = {"plain": folder / f"cohort_{n}.csv", "European": folder / f"cohort_{n}.eu.csv"}
    subprocess.run(
        [sys.executable, "-c", _GENERATE, str(n), str(SEED), str(files["plain"]), str(files["European"])],
        check=True,
    )
    return files


def measure(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"{'rows':>9} {'style':>8} {'MB':>6} | {'read_csv s':>10} {'peak MB':>8} | "
          f"{'ingest s':>8} {'peak MB':>8} {'(imports)':>9} | {'time x':>6} {'mem x':>6} | goal")
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        folder = Path(tmp)
        for n in SIZES:
            files = write_files(folder, n)
            for style, path in files.items():
                base = measure("read_csv", path)
                ours = measure("ingest", path)
                assert ours["ok"] and ours["rows"] == n == base["rows"], (ours, base)
                size = path.stat().st_size / 2**20
                goal = "ok" if ours["peak_mb"] < GOAL_MB else "OVER"
                print(
                    f"{n:>9,} {style:>8} {size:>6.0f} | {base['seconds']:>10.2f} {base['peak_mb']:>8.0f} | "
                    f"{ours['seconds']:>8.2f} {ours['peak_mb']:>8.0f} {ours['import_mb']:>9.0f} | "
                    f"{ours['seconds'] / base['seconds']:>6.2f} {ours['peak_mb'] / base['peak_mb']:>6.2f} | "
                    f"{goal if n == 1_000_000 else ''}",
                    flush=True,
                )
                path.unlink()


if __name__ == "__main__":
    main()
