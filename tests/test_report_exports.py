"""Figure and table exports, checked by opening the files with independent readers.

Tables: Python's csv module and pandas for CSV, openpyxl for XLSX. Figures: Plotly's own SVG
text (xml.etree), PIL for PNG size and dpi, the PDF header and page box. Formula injection:
the OWASP "CSV Injection" rule (prefix text starting with = + - @ tab CR with a quote).
"""

import csv
import io
import math
import re
import threading
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from PIL import Image

from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.plots import forest_figure, km_figure, waterfall_figure
from sarcoma.report import exports
from sarcoma.report.exports import (
    BrowserNotFoundError,
    ExportError,
    export_figure,
    export_table,
    find_browser,
    neutralise_cell,
    set_png_dpi,
    sheet_title,
    start_static_export,
    stop_static_export,
    table_to_csv,
    table_to_xlsx,
    tables_to_xlsx,
)
from sarcoma.synthetic_seed import build_seed_cohort

INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


@pytest.fixture(scope="session")
def static_export():
    """Kaleido's browser, started once for the test session and stopped at the end."""
    if find_browser() is None:
        pytest.fail(
            "Figure export tests need Chromium and none was found: install Debian's 'chromium' "
            "package (`make test` does it when run as root) or set BROWSER_PATH."
        )
    start_static_export()
    yield
    stop_static_export()


def injection_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient": ["Müller", "Γεώργιος", *INJECTIONS[:4]],
            "value": [-2.5, 3.0, 1e-7, np.nan, 7.25, -0.0],
            "count": [1, 2, 3, 4, 5, 6],
            "flag": [True, False, True, False, True, False],
            "mixed": [-2.5, "=1+2", None, "plain", 4, "-x"],
        }
    )


# --------------------------------------------------------------------------- neutralising


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_triggers_get_a_quote(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-2.5, 0, -7, 3.2, np.float64(-1.5), np.int64(-3), True, None, "text", "a=b", " =1", "–30% (en dash)"])
def test_numbers_and_harmless_text_untouched(value):
    assert neutralise_cell(value) is value


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_neutralised_text_never_starts_a_formula(text):
    out = neutralise_cell(text)
    assert not out.startswith(exports.FORMULA_TRIGGERS)
    # Nothing but the prefix is added, and only when needed (OWASP: prefix, do not rewrite).
    assert out == text or out == "'" + text


# --------------------------------------------------------------------------- CSV


def test_csv_is_utf8_bom_crlf_and_neutralised():
    data = table_to_csv(injection_table())
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to detect UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["patient", "value", "count", "flag", "mixed"]
    assert [r[0] for r in rows[1:]] == ["Müller", "Γεώργιος", *("'" + s for s in INJECTIONS[:4])]
    # Numbers stay numbers: -2.5 is written as -2.5, never quoted or prefixed.
    assert rows[1][1] == "-2.5" and rows[1][4] == "-2.5"
    assert rows[2][4] == "'=1+2" and rows[6][4] == "'-x"
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["value"].iloc[0] == -2.5 and back["count"].tolist() == [1, 2, 3, 4, 5, 6]
    assert math.isnan(back["value"].iloc[3])


def test_csv_tab_and_cr_triggers_survive_quoting():
    data = table_to_csv(pd.DataFrame({"x": ["\tcmd", "\r=1", "ok"]}))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'\tcmd", "'\r=1", "ok"]


def test_csv_headers_are_neutralised_and_meaningful_index_kept():
    df = pd.DataFrame({"=cmd()": [1, 2]}, index=pd.Index(["UPS", "@LMS"], name="Histotype"))
    rows = list(csv.reader(io.StringIO(table_to_csv(df).decode("utf-8-sig"), newline="")))
    assert rows == [["Histotype", "'=cmd()"], ["UPS", "1"], ["'@LMS", "2"]]


# --------------------------------------------------------------------------- XLSX


def test_xlsx_keeps_types_and_neutralises_text():
    wb = load_workbook(io.BytesIO(table_to_xlsx(injection_table(), "Cohort")))
    ws = wb["Cohort"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    types = [[c.data_type for c in row] for row in ws.iter_rows()]
    assert values[0] == ["patient", "value", "count", "flag", "mixed"]
    assert [r[0] for r in values[1:]] == ["Müller", "Γεώργιος", *("'" + s for s in INJECTIONS[:4])]
    assert values[1][1] == -2.5 and types[1][1] == "n"  # a number, not text
    assert values[1][4] == -2.5 and types[1][4] == "n"
    assert values[2][4] == "'=1+2" and values[6][4] == "'-x"
    assert [r[2] for r in values[1:]] == [1, 2, 3, 4, 5, 6]
    assert values[1][3] is True and types[1][3] == "b"
    assert values[4][1] is None  # NaN -> empty cell
    assert not any(t == "f" for row in types for t in row)  # no cell is a formula


def test_xlsx_strips_xml_illegal_characters_and_writes_dates():
    df = pd.DataFrame({"note": ["bell\x07 here"], "date": [pd.Timestamp("2024-03-01")], "inf": [np.inf], "ninf": [-np.inf]})
    ws = load_workbook(io.BytesIO(table_to_xlsx(df))).active
    row = [c.value for c in ws[2]]
    assert row[0] == "bell here"
    assert row[1].year == 2024 and row[1].month == 3
    assert row[2] == "inf" and row[3] == "'-inf"  # Excel has no infinity: text, neutralised


def test_workbook_with_several_sheets_gets_valid_unique_names():
    t = pd.DataFrame({"a": [1]})
    wb = load_workbook(io.BytesIO(tables_to_xlsx({"PFS: medians/rates [all]": t, "PFS: medians/rates [all] ": t, "x" * 40: t})))
    names = wb.sheetnames
    assert len(set(n.casefold() for n in names)) == 3
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)
    assert sheet_title("'quoted'") == "quoted"


def test_bad_requests_give_plain_errors():
    with pytest.raises(ExportError, match="CSV or XLSX|csv or xlsx"):
        export_table(pd.DataFrame({"a": [1]}), "docx")
    with pytest.raises(ExportError, match="DataFrame"):
        table_to_csv([1, 2])
    with pytest.raises(ExportError, match="png, svg, pdf"):
        export_figure(go.Figure(), "eps")
    with pytest.raises(ExportError, match="dpi"):
        export_figure(go.Figure(), "png", dpi=5000)
    with pytest.raises(ExportError, match="no table"):
        tables_to_xlsx({})
    assert issubclass(ExportError, ValueError)


def test_missing_browser_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(exports, "find_browser", lambda: None)
    with pytest.raises(BrowserNotFoundError, match="chromium"):
        exports._require_browser()


def test_png_dpi_chunk_read_by_pil():
    # A PNG made by PIL without dpi; after set_png_dpi PIL reads 300 dpi and the pixels are intact.
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 20, 30)).save(buf, format="PNG")
    out = set_png_dpi(buf.getvalue(), 300)
    img = Image.open(io.BytesIO(out))
    assert img.size == (40, 20) and img.getpixel((5, 5)) == (10, 20, 30)
    assert img.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    again = Image.open(io.BytesIO(set_png_dpi(out, 150)))  # replaces, never duplicates
    # PNG stores whole pixels per metre, so dpi is exact to 0.0254 (150 dpi = 5905.5 px/m).
    assert again.info["dpi"] == pytest.approx((150, 150), abs=0.0254)
    assert set_png_dpi(out, 150).count(b"pHYs") == 1


# --------------------------------------------------------------------------- figures (browser)


@pytest.fixture(scope="module")
def seed_survival():
    cohort, _ = build_seed_cohort()
    return cohort, survival_by_group(cohort, "OS", "line_2")


def svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]


def textpoint_values(svg: bytes) -> list[str]:
    """Texts of mode='text' scatter points (the at-risk table), in document order."""
    root = ET.fromstring(svg)
    out = []
    for g in root.iter("{http://www.w3.org/2000/svg}g"):
        if "textpoint" in (g.get("class") or ""):
            out += ["".join(t.itertext()) for t in g.iter("{http://www.w3.org/2000/svg}text")]
    return out


def test_km_svg_keeps_p_value_and_at_risk_table(static_export, seed_survival):
    _, res = seed_survival
    fig = km_figure(res.curves, at_risk=res.at_risk, annotation=res.test_label(), title="OS by line")
    svg = export_figure(fig, "svg")
    texts = " ".join(svg_texts(svg))
    # The p-value string the core prints (format_p of the log-rank p) is inside the image.
    assert format_p(res.test.p_value) in texts
    assert f"χ² = {res.test.statistic:.2f}" in texts
    # Every at-risk number, row by row, is drawn (same values, same order as the core's table).
    expected = [str(int(v)) for v in res.at_risk.to_numpy().ravel()]
    assert textpoint_values(svg) == expected
    for label in res.at_risk.index:
        assert str(label) in texts


def test_png_is_300_dpi_at_the_right_size(static_export, seed_survival):
    _, res = seed_survival
    fig = km_figure(res.curves, at_risk=res.at_risk, annotation=res.test_label())
    png = export_figure(fig, "png", width=800, height=500)
    img = Image.open(io.BytesIO(png))
    # W css px at 96 dpi printed at 300 dpi: W * 300 / 96 pixels (kaleido rounds to whole pixels).
    assert img.size[0] == pytest.approx(800 * 300 / 96, abs=1)
    assert img.size[1] == pytest.approx(500 * 300 / 96, abs=1)
    assert img.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_pdf_is_a_one_page_vector_file_of_the_figure_size(static_export, seed_survival):
    _, res = seed_survival
    fig = km_figure(res.curves, at_risk=res.at_risk, annotation=res.test_label())
    pdf = export_figure(fig, "pdf", width=960, height=600)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box is not None
    w, h = float(box.group(1)), float(box.group(2))
    assert w / h == pytest.approx(960 / 600, rel=0.02)  # the page is the figure, not a letter page


def test_forest_and_waterfall_export(static_export):
    cohort, _ = build_seed_cohort()
    table = pd.DataFrame({"label": ["UPS (n=12)", "LMS (n=12)"], "est": [7.0, 18.8], "lo": [2.0, 9.0], "hi": [np.nan, 30.0]})
    forest = export_figure(forest_figure(table, estimate="est", lower="lo", upper="hi"), "svg")
    assert {"UPS (n=12)", "LMS (n=12)"} <= set(svg_texts(forest))
    waterfall = export_figure(waterfall_figure(cohort["best_pct_change"], cohort["best_response"]), "svg")
    assert "+20% (PD)" in svg_texts(waterfall)


def test_concurrent_exports_each_get_their_own_figure(static_export):
    # Streamlit runs download callbacks on their own threads; the lock must keep answers apart.
    results: dict[int, bytes] = {}

    def work(i: int) -> None:
        fig = go.Figure(go.Bar(x=[1, 2], y=[i, i + 1]), layout={"title": {"text": f"figure-{i}"}})
        results[i] = export_figure(fig, "svg", width=300, height=200)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [0, 1, 2, 3]
    for i, svg in results.items():
        titles = [t for t in svg_texts(svg) if t.startswith("figure-")]
        assert titles == [f"figure-{i}"]


def test_warm_up_starts_the_browser_in_the_background(static_export, monkeypatch):
    monkeypatch.setattr(exports, "find_browser", lambda: None)
    assert exports.warm_up_static_export() is False
    monkeypatch.undo()
    assert exports.warm_up_static_export() is True
    for t in [t for t in threading.enumerate() if t.name == "kaleido-warm-up"]:
        t.join(timeout=60)
    assert exports.static_export_running()
