"""The HTML report: self-contained, escaped, and showing the core's numbers.

Read back with html.parser (the standard library's HTML tokenizer) and, for the offline check,
rendered by headless Chromium with the network unreachable by construction (file:// and a CSP).
"""

import re
import subprocess
from html.parser import HTMLParser

import pytest
from plotly.offline import get_plotlyjs

from sarcoma.filters import FilterState, apply_filters
from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.report.collect import ReportOptions, collect_report
from sarcoma.report.exports import find_browser
from sarcoma.report.html_report import html_report
from sarcoma.synthetic_seed import build_seed_cohort
from sarcoma.views.cohort import CohortOptions
from sarcoma.views.survival import SurvivalOptions

EVIL = "<script>alert(1)</script>"
EVIL_IMG = '<img src=x onerror="alert(2)">'


class Scan(HTMLParser):
    """Collects tags with their attributes, script bodies and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def evil_report():
    """The seed cohort with hostile strings in a patient id, a centre, a histotype and the file
    name; the centre is also used as a filter value."""
    cohort, _ = build_seed_cohort()
    cohort = cohort.copy()
    responder = cohort.index[cohort["best_response"] == "CR"][0]
    cohort.loc[responder, "patient_id"] = EVIL  # shows in the biomarker table (responders)
    cohort.loc[cohort["center"] == "Centre A (synthetic)", "center"] = EVIL_IMG
    cohort["histotype"] = cohort["histotype"].astype(object)
    cohort.loc[responder, "histotype"] = EVIL  # Table 1, response table, subgroup table and forest labels
    result = apply_filters(cohort, FilterState(centers=(EVIL_IMG, "Centre B (synthetic)", "Centre C (synthetic)", "Centre D (synthetic)")))
    options = ReportOptions(survival=SurvivalOptions(grouping="line_2"), table1=CohortOptions(by="center"))
    report = collect_report(result, options, cohort_name=f"{EVIL}.csv", file_name=f"{EVIL}.csv")
    html = html_report(*report)
    scan = Scan()
    scan.feed(html.decode("utf-8"))
    return result, report, html.decode("utf-8"), scan


def test_every_user_string_is_escaped(evil_report):
    _, _, html, scan = evil_report
    assert EVIL not in html and "onerror=\"alert(2)\"" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, in tables, title and header
    text = "".join(scan.text)
    assert EVIL in text and EVIL_IMG in text  # what the reader sees is the literal string
    # Title, header, file line, Table 1, subgroup and response tables, biomarker table (id and histotype).
    assert text.count(EVIL) >= 8
    assert not any(tag == "img" for tag, _ in scan.tags)
    assert not any(k.startswith("on") for _, attrs in scan.tags for k in attrs)  # no event handlers anywhere


def test_only_plotly_scripts(evil_report):
    _, (sections, _), html, scan = evil_report
    n_figures = sum(s.kind == "figure" for s in sections)
    assert all("src" not in attrs for tag, attrs in scan.tags if tag == "script")
    assert len(scan.scripts) == 1 + n_figures
    library = [s for s in scan.scripts if "plotly.js v" in s[:200]]
    assert len(library) == 1 and library[0].strip() == get_plotlyjs().strip()  # embedded once, inline
    figure_scripts = [s for s in scan.scripts if s is not library[0]]
    for body in figure_scripts:
        assert body.strip().startswith("window.PLOTLYENV") and "Plotly.newPlot" in body
        assert "<" not in body  # Plotly's JSON escapes '<', so no tag can start inside a script


def test_no_external_resources(evil_report):
    _, _, html, scan = evil_report
    assert not any(tag in ("link", "iframe", "img", "object", "embed", "base") for tag, _ in scan.tags)
    for _tag, attrs in scan.tags:
        for key in ("src", "href", "action"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:|//|javascript:)", value), (key, value)
    outside_library = html.replace(get_plotlyjs(), "")
    assert not re.search(r"https?://|//cdn", outside_library)
    csp = [attrs for tag, attrs in scan.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"] and "connect-src 'none'" in csp[0]["content"]


def test_core_numbers_in_the_report(evil_report):
    result, (sections, meta), html, scan = evil_report
    text = " ".join(scan.text)
    for endpoint in ("PFS", "OS"):
        res = survival_by_group(result.subset, endpoint, "line_2")
        for median in res.table["Median (95% CI), months"]:
            assert median in text
        assert format_p(res.test.p_value) in text  # in the note under the figure
    assert meta.n_line() in text
    methods = next(s.text for s in sections if s.key == "methods")
    assert methods in text
    for line in meta.filters:
        assert line in text


@pytest.mark.slow  # a headless Chromium run of ~5 s
def test_offline_render_in_chromium(evil_report, tmp_path):
    """Headless Chromium opens the file from disk and Plotly draws every figure."""
    browser = find_browser()
    if browser is None:
        pytest.fail("This test needs Chromium: install Debian's 'chromium' package (make test does it as root).")
    _, (sections, _), html, _ = evil_report
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    out = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    dom = out.stdout
    n_figures = sum(s.kind == "figure" for s in sections)
    # Plotly adds one "main-svg" root per drawn figure (two SVG layers each).
    drawn = len(re.findall(r'id="fig-[a-z0-9-]+" class="[^"]*js-plotly-plot', dom))
    assert drawn == n_figures, out.stderr[-2000:]
    # After Plotly has drawn labels such as the forest plot's centre names, still no live element.
    assert "<img" not in dom and EVIL not in dom
