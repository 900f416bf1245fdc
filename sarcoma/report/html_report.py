"""One self-contained HTML file of the report: opens offline, figures stay interactive.

Plotly's JavaScript is embedded once, inline; nothing is fetched from the network (a Content
Security Policy in the page forbids it). Every string that can come from the user's file or
choices (cohort and file names, filter values, table cells, notes, titles) goes through
`html.escape`. Figures are embedded by Plotly, whose JSON writer escapes "<" as \\u003c, so a
label such as "</script>" cannot end the script element.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.io as pio
from plotly.offline import get_plotlyjs

from sarcoma.report.collect import ReportMeta, Section, display_frame

# Same toolbar as the app: no cloud button; PNG download at 3x for slides.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 3},
    "responsive": True,
}
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
header{border-bottom:2px solid #0072B2;margin-bottom:1.5rem}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef3f8}tr:nth-child(even) td{background:#fafafa}
.note{color:#555;font-size:.9rem;margin:.2rem 0}
.methods{background:#f6f6f6;padding:1rem;border-left:4px solid #0072B2}
nav ul{columns:2}
@media print{nav{display:none}.figure{page-break-inside:avoid}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table_html(section: Section) -> str:
    header, rows = display_frame(section.table)
    head = "".join(f"<th scope=\"col\">{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _figure_html(section: Section) -> str:
    # include_plotlyjs=False: the library is in <head> once; div ids are our own slugs.
    return "<div class=\"figure\">" + pio.to_html(
        section.figure, full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG,
        div_id=f"fig-{section.key}", default_width="100%",
    ) + "</div>"


def _section_html(section: Section) -> str:
    parts = [f"<section id=\"{_e(section.key)}\"><h3>{_e(section.title)}</h3>"]
    if section.kind == "figure":
        parts.append(_figure_html(section))
    elif section.kind == "table":
        parts.append(_table_html(section))
    if section.text:
        cls = "methods" if section.key == "methods" else "note"
        parts.append(f"<p class=\"{cls}\">{_e(section.text)}</p>")
    parts += [f"<p class=\"note\">{_e(n)}</p>" for n in section.notes]
    parts.append("</section>")
    return "".join(parts)


def html_report(sections: Sequence[Section], meta: ReportMeta) -> bytes:
    """The report as one UTF-8 HTML file (bytes)."""
    chapters: dict[str, list[Section]] = {}
    for s in sections:
        chapters.setdefault(s.chapter, []).append(s)
    toc = "".join(
        f"<li><a href=\"#{_e(s.key)}\">{_e(chapter)}: {_e(s.title)}</a></li>"
        for chapter, secs in chapters.items() for s in secs
    )
    body = "".join(
        f"<h2>{_e(chapter)}</h2>" + "".join(_section_html(s) for s in secs) for chapter, secs in chapters.items()
    )
    filters = "".join(f"<li>{_e(f)}</li>" for f in meta.filter_lines())
    file_line = f"<p>File: <strong>{_e(meta.file_name)}</strong></p>" if meta.file_name else ""
    doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sarcoma-ici-explorer {_e(meta.tool_version)}">
<title>{_e(meta.title)} — {_e(meta.cohort_name)}</title>
<style>{STYLE}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>{_e(meta.title)}</h1>
<p>Cohort: <strong>{_e(meta.cohort_name)}</strong> — {_e(meta.n_line())}</p>
{file_line}
<p>Selection:</p><ul class="filters">{filters}</ul>
<p>Generated {_e(meta.date_text())} with sarcoma-ici-explorer {_e(meta.tool_version)}.</p>
</header>
<nav><h2>Contents</h2><ul>{toc}</ul></nav>
<main>{body}</main>
</body>
</html>
"""
    return doc.encode("utf-8")
