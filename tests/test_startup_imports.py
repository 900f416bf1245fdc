"""The first page must render without the heavy libraries: lifelines and statsmodels (tests
only), scipy.stats and our Cox engine (statistics pages; scipy.special is light), python-pptx /
kaleido and the report builders (Report page). Checked in a fresh interpreter importing what
app.py and the default Data page import and running the Data page's seed comparison;
`python -X importtime` shows the cost (issue 13: the first visit took 3.7-4.3 s)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("lifelines", "statsmodels", "scipy.stats", "pptx", "kaleido", "sarcoma.report.collect",
         "sarcoma.report.pptx_report", "sarcoma.report.html_report", "sarcoma.cox",
         "sarcoma.coxfit", "scipy.stats")

PROBE = f"""
import sys
import pages._shared                                          # app.py and every page
from sarcoma.ingest import CohortReadError, data_dictionary_markdown, template_csv  # pages/data.py
from sarcoma.report import table_to_csv
from sarcoma.schema import COLUMN_NAMES
from sarcoma.seed_comparison import seed_comparison                # the Data page's own work
from sarcoma.ingest import load_cohort
seed_comparison(load_cohort("sample_data/sample_cohort.csv")[0])
print("loaded:" + ",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def test_first_page_imports_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "loaded:", out.stdout


def test_report_package_still_exports_every_name():
    import sarcoma.report as report

    for name in report.__all__:
        assert callable(getattr(report, name)) or getattr(report, name) is not None
