"""Tumour-board outputs: figure and table exports, the one-click HTML and PPTX report and the
methods paragraph. UI-free: the Report page only calls these functions."""
