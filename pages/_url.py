"""Page choices in the URL, so a shared link reproduces the exact view.

Streamlit's own `bind="query-params"` writes a selectbox's displayed label into the URL; these
helpers write the option's key instead (`by=line_2`, not the label), restore it into the
widget's state on the first run of a session, and leave defaults out of the URL. The link
carries choices only; the receiving session shows them on its own data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

_TRUE = ("1", "true", "yes", "on")


def _restore(key: str, param: str, parse: Callable[[str], Any]) -> None:
    """Before the widget is drawn: a value from the URL, once, when the session has none."""
    if key in st.session_state or param not in st.query_params:
        return
    value = parse(st.query_params[param])
    if value is not None:
        st.session_state[key] = value


def _publish(param: str, text: str | None) -> None:
    """After the widget: the value in the URL, or no parameter when it is the default."""
    if text is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != text:
        st.query_params[param] = text


def _default(key: str, name: str, value: Any) -> dict[str, Any]:
    # A default only when the state holds no value (Streamlit warns when both are given).
    return {} if key in st.session_state else {name: value}


def selectbox(where, label: str, options: Sequence[Any], *, key: str, param: str, default: Any,
              format_func: Callable[[Any], str] = str, **kwargs: Any) -> Any:
    options = list(options)
    _restore(key, param, lambda s: s if s in options else None)
    index = options.index(default) if default in options else 0
    value = where.selectbox(label, options, key=key, format_func=format_func, **_default(key, "index", index), **kwargs)
    _publish(param, None if value == default else str(value))
    return value


def radio(where, label: str, options: Sequence[Any], *, key: str, param: str, default: Any,
          format_func: Callable[[Any], str] = str, **kwargs: Any) -> Any:
    options = list(options)
    _restore(key, param, lambda s: s if s in options else None)
    index = options.index(default) if default in options else 0
    value = where.radio(label, options, key=key, format_func=format_func, **_default(key, "index", index), **kwargs)
    _publish(param, None if value == default else str(value))
    return value


def toggle(where, label: str, *, key: str, param: str, default: bool = False, **kwargs: Any) -> bool:
    _restore(key, param, lambda s: s.lower() in _TRUE)
    value = where.toggle(label, key=key, **_default(key, "value", default), **kwargs)
    _publish(param, None if bool(value) == default else ("1" if value else "0"))
    return bool(value)


def number(where, label: str, *, key: str, param: str, default: int, min_value: int, max_value: int, **kwargs: Any) -> int:
    def parse(s: str) -> int | None:
        try:
            v = int(s)
        except ValueError:
            return None
        return v if min_value <= v <= max_value else None

    _restore(key, param, parse)
    value = where.number_input(label, min_value=min_value, max_value=max_value, key=key, **_default(key, "value", default), **kwargs)
    _publish(param, None if int(value) == default else str(int(value)))
    return int(value)


def multiselect(where, label: str, options: Sequence[Any], *, key: str, param: str, default: Sequence[Any],
                format_func: Callable[[Any], str] = str, **kwargs: Any) -> list[Any]:
    options = list(options)
    _restore(key, param, lambda s: [v for v in s.split(",") if v in options] if s else [])
    value = where.multiselect(label, options, key=key, format_func=format_func, **_default(key, "default", list(default)), **kwargs)
    _publish(param, None if list(value) == list(default) else ",".join(map(str, value)))
    return list(value)


def decimal(widget: Callable[..., Any], label: str, *, key: str, param: str, default: float, min_value: float,
            max_value: float, **kwargs: Any) -> float:
    """A number input or slider holding a decimal (a landmark, a horizon)."""
    def parse(s: str) -> float | None:
        try:
            v = float(s)
        except ValueError:
            return None
        return v if min_value <= v <= max_value else None

    _restore(key, param, parse)
    if key in st.session_state and not min_value <= st.session_state[key] <= max_value:
        del st.session_state[key]  # a value from another selection that no longer fits: the default
    value = widget(label, min_value=min_value, max_value=max_value, key=key, **_default(key, "value", default), **kwargs)
    _publish(param, None if float(value) == default else f"{float(value):g}")
    return float(value)
