"""What every view needs besides the filtered cohort: the whole dataset (so a group keeps its
colour when filters remove other groups), the line-of-therapy cut and the plot style."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sarcoma.groupings import DEFAULT_LINE_CUT, level_order, make_groupings
from sarcoma.plots import PlotStyle, group_colors


@dataclass(frozen=True, eq=False)
class ViewContext:
    dataset: pd.DataFrame | None = None  # the whole dataset, before filters (with derived columns)
    line_cut: int = DEFAULT_LINE_CUT
    style: PlotStyle = field(default_factory=PlotStyle)

    def colors(self, grouping: str | None, levels: list[str]) -> dict[str, str]:
        """Colour per level, assigned over the grouping's levels in the whole dataset."""
        if grouping is None or self.dataset is None:
            return group_colors(levels)
        g = make_groupings(self.line_cut)[grouping]
        universe = level_order(g.make(self.dataset), g)
        colors = group_colors(universe + [lv for lv in levels if lv not in universe])
        return {lv: colors[lv] for lv in levels}
