"""Tumour-board outputs: figure and table exports, the one-click HTML and PPTX report and the
methods paragraph. UI-free: the Report page only calls these functions."""

# Submodules load on first use (PEP 562): the Data page needs table_to_csv only, and the
# PPTX/HTML/kaleido machinery would slow the app's first start.
_LAZY = {
    "Report": "sarcoma.report.collect",
    "ReportMeta": "sarcoma.report.collect",
    "ReportOptionError": "sarcoma.report.collect",
    "ReportOptions": "sarcoma.report.collect",
    "Section": "sarcoma.report.collect",
    "collect_report": "sarcoma.report.collect",
    "DEFAULT_DECK": "sarcoma.report.collect",
    "deck_sections": "sarcoma.report.collect",
    "report_file_name": "sarcoma.report.collect",
    "FIGURE_FORMATS": "sarcoma.report.exports",
    "TABLE_FORMATS": "sarcoma.report.exports",
    "BrowserNotFoundError": "sarcoma.report.exports",
    "ExportError": "sarcoma.report.exports",
    "export_figure": "sarcoma.report.exports",
    "export_table": "sarcoma.report.exports",
    "find_browser": "sarcoma.report.exports",
    "neutralise_cell": "sarcoma.report.exports",
    "start_static_export": "sarcoma.report.exports",
    "stop_static_export": "sarcoma.report.exports",
    "table_to_csv": "sarcoma.report.exports",
    "table_to_xlsx": "sarcoma.report.exports",
    "tables_to_xlsx": "sarcoma.report.exports",
    "html_report": "sarcoma.report.html_report",
    "MethodsOptionError": "sarcoma.report.methods",
    "MethodsOptions": "sarcoma.report.methods",
    "methods_paragraph": "sarcoma.report.methods",
    "software_versions": "sarcoma.report.methods",
    "pptx_report": "sarcoma.report.pptx_report",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
