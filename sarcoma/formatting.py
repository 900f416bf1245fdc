"""Number formatting shared by every table and figure, so a p-value reads the same everywhere."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def p_value_text(p: float | None) -> str:
    """"<0.001" or three decimals rounded half up, as SPSS prints; "" when not computed.

    Python's f"{p:.3f}" rounds the binary float (0.0275 -> "0.027"); SPSS and the papers
    round the decimal value half up (0.0275 -> "0.028")."""
    if p is None or not math.isfinite(p):
        return ""
    if p < 0.001:
        return "<0.001"
    return str(Decimal(repr(float(p))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
