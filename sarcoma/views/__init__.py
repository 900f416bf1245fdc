"""Views as data: each analysis is `(cohort, options, context) -> View`, rendered by the pages,
the HTML report, the slide deck and presentation mode alike (see `sarcoma.views.model`)."""

from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View

__all__ = ["FigureBlock", "TableBlock", "View", "ViewContext"]
