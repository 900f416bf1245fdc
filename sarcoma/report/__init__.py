"""Tumour-board outputs: figure and table exports, the one-click HTML and PPTX report and the
methods paragraph. UI-free: the Report page only calls these functions."""

from sarcoma.report.collect import (
    DEFAULT_DECK,
    Report,
    ReportMeta,
    ReportOptionError,
    ReportOptions,
    Section,
    collect_report,
    deck_sections,
    report_file_name,
)
from sarcoma.report.exports import (
    FIGURE_FORMATS,
    TABLE_FORMATS,
    BrowserNotFoundError,
    ExportError,
    export_figure,
    export_table,
    find_browser,
    neutralise_cell,
    start_static_export,
    stop_static_export,
    table_to_csv,
    table_to_xlsx,
    tables_to_xlsx,
)
from sarcoma.report.html_report import html_report
from sarcoma.report.methods import (
    MethodsOptionError,
    MethodsOptions,
    methods_paragraph,
    software_versions,
)
from sarcoma.report.pptx_report import pptx_report

__all__ = [
    "FIGURE_FORMATS",
    "TABLE_FORMATS",
    "BrowserNotFoundError",
    "ExportError",
    "MethodsOptionError",
    "MethodsOptions",
    "Report",
    "ReportMeta",
    "ReportOptionError",
    "ReportOptions",
    "Section",
    "DEFAULT_DECK",
    "collect_report",
    "deck_sections",
    "export_figure",
    "export_table",
    "find_browser",
    "html_report",
    "methods_paragraph",
    "neutralise_cell",
    "pptx_report",
    "report_file_name",
    "software_versions",
    "start_static_export",
    "stop_static_export",
    "table_to_csv",
    "table_to_xlsx",
    "tables_to_xlsx",
]
