"""A View is one analysis as data: what the page, the HTML report, the slide deck and
presentation mode all show. Each renderer lays it out its own way but shows the same numbers,
colours, warnings and methods, so the surfaces can never disagree.

Text in a View is plain text (no Markdown, no HTML): renderers escape it for their medium.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go


@dataclass(frozen=True, eq=False)
class FigureBlock:
    """A figure with its title and the notes a reader needs under it."""

    key: str
    title: str
    figure: go.Figure
    notes: tuple[str, ...] = ()
    in_deck: bool = True


@dataclass(frozen=True, eq=False)
class TableBlock:
    """A display table (cells already formatted as the reader sees them).

    `deck` holds the version slides show when the full table would not fit a slide (Table 1 as
    two summary slides, the subgroup table's tested rows); the full table goes to the HTML
    report and the XLSX."""

    key: str
    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    deck: tuple[pd.DataFrame, ...] = ()
    in_deck: bool = True
    on_page: bool = True  # False when the page shows it another way (the risk table under a figure)

    @property
    def for_deck_tables(self) -> tuple[pd.DataFrame, ...]:
        return self.deck or (self.table,)


@dataclass(frozen=True, eq=False)
class View:
    """One analysis: result lines (the test, the headline numbers), figures, tables, notes on
    how to read it, warnings (biases, small groups, a choice that could not apply) and the
    methods sentence that says what was computed and how."""

    key: str
    chapter: str
    title: str
    lines: tuple[str, ...] = ()
    figures: tuple[FigureBlock, ...] = ()
    tables: tuple[TableBlock, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    methods: str = ""
    options: Any = None
    facts: dict[str, Any] = field(default_factory=dict)  # what the methods paragraph needs to know
    figures_first: bool = True  # False: the tables are the result, the figures illustrate them

    @property
    def empty(self) -> bool:
        return not (self.lines or self.figures or self.tables)
