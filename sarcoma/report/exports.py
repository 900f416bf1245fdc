"""Figure and table exports: PNG/SVG/PDF through Plotly's static export, CSV and XLSX tables.

Decisions (pinned by tests/test_report_exports.py):

* Figures go through kaleido, which drives a Chromium. Starting the browser costs seconds, so
  kaleido's sync server is started once per process, on the first export, and reused. Its
  request/answer queues are not safe for two callers at once (Streamlit runs download callbacks
  on their own threads), so every call holds one lock.
* PNG is 300 dpi: a figure W layout pixels wide (CSS pixels, 96 per inch) is rendered at scale
  300/96, and the file carries a pHYs chunk saying 300 dpi so Word, PowerPoint and journals size
  it right. SVG and PDF are vector (scale 1).
* CSV is UTF-8 with a byte-order mark and CRLF line ends: Excel then opens accented names
  (Müller, Γεώργιος) correctly, and pandas/R read it with encoding "utf-8-sig".
* Formula injection (OWASP "CSV Injection"): a *text* cell that starts with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return gets a leading single quote, in CSV and XLSX alike, so a
  spreadsheet shows it as text. Numbers are never touched: -2.5 stays the number -2.5.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import struct
import threading
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sarcoma.errors import SarcomaError

FIGURE_FORMATS: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
TABLE_FORMATS: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CSS_DPI = 96  # Plotly layout pixels are CSS pixels
DEFAULT_DPI = 300
DEFAULT_WIDTH = 1000  # layout pixels when the figure sets none (~10.4 in at 96 dpi)
DEFAULT_HEIGHT = 560
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (hence XLSX) cannot hold; openpyxl raises on them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


class ExportError(SarcomaError):
    """A figure or table that cannot be exported; the message says what to change."""


class BrowserNotFoundError(RuntimeError):
    """Static figure export needs a Chromium browser and none was found."""


# --------------------------------------------------------------------------- tables


def neutralise_cell(value: Any) -> Any:
    """Text starting with a formula trigger gets a leading ' (OWASP); anything else is returned
    unchanged, so numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def flat_table(df: pd.DataFrame) -> pd.DataFrame:
    """Columns as text, and a meaningful index (named, or not 0..n-1) as the first column."""
    if not isinstance(df, pd.DataFrame):
        raise ExportError("Only tables (pandas DataFrames) can be exported as CSV or XLSX.")
    out = df
    default_index = isinstance(df.index, pd.RangeIndex) and df.index.name is None and df.index.start == 0 and df.index.step == 1
    if not default_index:
        out = df.reset_index()
    out = out.copy()
    out.columns = [_header_text(c) for c in out.columns]
    return out


def _header_text(column: Any) -> str:
    if isinstance(column, tuple):
        return " / ".join(str(c) for c in column if str(c))
    if isinstance(column, float) and column.is_integer():
        return str(int(column))  # at-risk time columns 0.0, 6.0 -> "0", "6"
    return str(column)


def _neutralised(df: pd.DataFrame) -> pd.DataFrame:
    out = flat_table(df)
    out.columns = [neutralise_cell(c) for c in out.columns]
    for col in out.columns:
        s = out[col]
        # Only text can hold a formula; numeric and boolean columns are left exactly as they are.
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype | pd.CategoricalDtype):
            out[col] = s.astype(object).map(neutralise_cell)
    return out


def table_to_csv(df: pd.DataFrame) -> bytes:
    """The table as CSV bytes: UTF-8 with BOM, comma-separated, CRLF, text cells neutralised."""
    text = _neutralised(df).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    """A cell value openpyxl can store, with the type kept (numbers stay numbers)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return None
        # Excel has no infinity; write it as (neutralised) text rather than a wrong number.
        return v if math.isfinite(v) else neutralise_cell("inf" if v > 0 else "-inf")
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    text = value if isinstance(value, str) else str(value)
    return neutralise_cell(_ILLEGAL_XML.sub("", text))


def sheet_title(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name (max 31 characters, none of []:*?/\\)."""
    base = _SHEET_BAD.sub("-", str(name)).strip("'").strip() or "Table"
    base = base[:31]
    taken = taken if taken is not None else set()
    title, i = base, 2
    while title.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({i})"
        title, i = base[: 31 - len(suffix)] + suffix, i + 1
    taken.add(title)
    return title


def tables_to_xlsx(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """One workbook, one sheet per table (sheet names made valid and unique)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if not tables:
        raise ExportError("There is no table to export.")
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, df in tables.items():
        flat = flat_table(df)
        ws = wb.create_sheet(sheet_title(name, taken))
        ws.append([_xlsx_value(c) for c in flat.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in flat.itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
        ws.freeze_panes = "A2"
        for i, col in enumerate(flat.columns, start=1):
            longest = max([len(str(col))] + [len(str(v)) for v in flat.iloc[:200, i - 1]])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_to_xlsx(df: pd.DataFrame, sheet_name: str = "Table") -> bytes:
    """The table as an XLSX workbook with one sheet."""
    return tables_to_xlsx({sheet_name: df})


def export_table(df: pd.DataFrame, fmt: str, *, sheet_name: str = "Table") -> bytes:
    """CSV or XLSX bytes of a table."""
    if fmt == "csv":
        return table_to_csv(df)
    if fmt == "xlsx":
        return table_to_xlsx(df, sheet_name)
    raise ExportError(f"Tables can be exported as {' or '.join(TABLE_FORMATS)}, not {fmt!r}.")


# --------------------------------------------------------------------------- figures

_LOCK = threading.RLock()


def find_browser() -> str | None:
    """Path of the Chromium kaleido will use, or None."""
    try:
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - private layout may change; fall back to PATH
        return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _require_browser() -> None:
    if find_browser() is None:
        raise BrowserNotFoundError(
            "Exporting figures as PNG, SVG or PDF needs the Chromium browser, which was not found "
            "on this computer. Install Debian's 'chromium' package (sudo apt-get install chromium) "
            "or set BROWSER_PATH to a Chrome/Chromium executable. The interactive HTML report "
            "does not need it."
        )


def _server() -> Any:
    import kaleido

    # kaleido offers no public liveness check; its singleton keeps the worker thread here.
    return kaleido._global_server  # noqa: SLF001


def static_export_running() -> bool:
    """True when kaleido's sync server (one browser kept open) is up."""
    server = _server()
    thread = getattr(server, "_thread", None)
    return bool(server.is_running() and thread is not None and thread.is_alive())


# Chromium phones home on its own (DNS lookups of Google's update, safe-browsing and
# connectivity hosts) and kaleido's page loads MathJax from cdnjs. Patient figures are exported
# offline: no background networking, and every host name resolves to "not found", so not even a
# DNS query leaves the machine (tests/test_report_exports.py proves it with strace).
OFFLINE_CHROMIUM_FLAGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--dns-prefetch-disable",
    "--no-proxy-server",
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
)


def _offline_chromium() -> type:
    """choreographer's Chromium launcher with the offline flags appended to its command line."""
    from choreographer.browsers.chromium import Chromium

    class OfflineChromium(Chromium):
        def get_cli(self) -> list[str]:
            return [*super().get_cli(), *OFFLINE_CHROMIUM_FLAGS]

    return OfflineChromium


def start_static_export() -> None:
    """Start kaleido's sync server once per process (idempotent, thread-safe), offline: MathJax
    off (our figures hold no LaTeX) and Chromium without network access."""
    import kaleido

    with _LOCK:
        if static_export_running():
            return
        _require_browser()
        if _server().is_running():  # started before but its thread died (browser crashed)
            kaleido.stop_sync_server(silence_warnings=True)
        kaleido.start_sync_server(silence_warnings=True, mathjax=False, browser_cls=_offline_chromium())


_WARMED = threading.Event()


def warm_up_static_export() -> bool:
    """Start the browser in the background (once per process) so the first real export does
    not wait for it. Returns False when no browser is installed."""
    if find_browser() is None:
        return False
    if not _WARMED.is_set():
        _WARMED.set()
        tiny = go.Figure(layout={"width": 20, "height": 20})
        threading.Thread(target=export_figure, args=(tiny, "svg"), daemon=True, name="kaleido-warm-up").start()
    return True


def stop_static_export() -> None:
    """Stop the sync server (closes the browser); the next export starts it again."""
    import kaleido

    with _LOCK:
        kaleido.stop_sync_server(silence_warnings=True)


def figure_size(fig: go.Figure, width: int | None = None, height: int | None = None) -> tuple[int, int]:
    """Layout size in CSS pixels used for export: explicit, else the figure's, else defaults."""
    w = width or fig.layout.width or DEFAULT_WIDTH
    h = height or fig.layout.height or DEFAULT_HEIGHT
    return int(w), int(h)


def export_figure(
    fig: go.Figure, fmt: str = "png", *, width: int | None = None, height: int | None = None, dpi: int = DEFAULT_DPI
) -> bytes:
    """PNG (at `dpi`), SVG or PDF bytes of a Plotly figure, exactly as laid out (at-risk table,
    annotations and footnotes included)."""
    if fmt not in FIGURE_FORMATS:
        raise ExportError(f"Figures can be exported as {', '.join(FIGURE_FORMATS)}, not {fmt!r}.")
    if not isinstance(fig, go.Figure):
        raise ExportError("Only Plotly figures can be exported as images.")
    if not (isinstance(dpi, int | float) and 24 <= dpi <= 1200):
        raise ExportError(f"Resolution must be between 24 and 1200 dpi, not {dpi!r}.")
    import kaleido

    w, h = figure_size(fig, width, height)
    scale = dpi / CSS_DPI if fmt == "png" else 1.0
    opts = {"format": fmt, "width": w, "height": h, "scale": scale}
    with _LOCK:
        start_static_export()
        # Called directly (not through fig.to_image) because plotly passes kopts, which the
        # server ignores with a warning on every call.
        data = kaleido.calc_fig_sync(fig.to_dict(), opts=opts)
    return set_png_dpi(data, dpi) if fmt == "png" else data


def set_png_dpi(png: bytes, dpi: float) -> bytes:
    """Insert (or replace) the pHYs chunk so the PNG declares `dpi` dots per inch."""
    sig = b"\x89PNG\r\n\x1a\n"
    if not png.startswith(sig):
        raise ExportError("The exported image is not a PNG file.")
    ppm = round(dpi / 0.0254)  # PNG stores pixels per metre
    body = b"pHYs" + struct.pack(">IIB", ppm, ppm, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    out, pos = [sig], len(sig)
    inserted = False
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        end = pos + 12 + length
        if kind != b"pHYs":
            out.append(png[pos:end])
        if kind == b"IHDR" and not inserted:
            out.append(chunk)  # pHYs must come before the first IDAT; right after IHDR is safe
            inserted = True
        pos = end
    return b"".join(out)
