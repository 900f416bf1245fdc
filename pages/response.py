"""Response page: best response and ORR/DCR by a grouping, the association test and the
waterfall plot (sarcoma.views.response); response dynamics and the swimmer plot
(sarcoma.views.swimmer)."""

import streamlit as st

from pages import _shared as ui
from pages import _url as url
from pages._render import render_view
from sarcoma.plots import SWIMMER_COLOR_BY
from sarcoma.views.response import (
    DENOMINATOR_HEADERS,
    OUTCOMES,
    RESPONSE_GROUPINGS,
    ResponseOptions,
    response_view,
)
from sarcoma.views.swimmer import SwimmerOptions, swimmer_view

ui.require_app()

if ui.pooled_mode():  # issue 15: the pages show a pool of centres' aggregate files
    ui.pooled_page("response")
    st.stop()

st.header("Response")
result = ui.filtered()
if ui.enough_patients(result, minimum=1):
    with ui.options_area():
        c1, c2, c3 = st.columns(3)
        by = url.selectbox(c1, "Rows", list(RESPONSE_GROUPINGS), key="resp_by", param="rows", default="histotype",
                           format_func=RESPONSE_GROUPINGS.get, persist_state="session")
        denominator = url.radio(
            c2, "Denominator", list(DENOMINATOR_HEADERS), key="resp_den", param="denominator", default="evaluable", horizontal=True,
            persist_state="session", format_func={"evaluable": "Evaluable patients (CR+PR+SD+PD)", "all": "All treated patients"}.get,
            help="The seed study gives the overall ORR over evaluable patients and the ORR by histotype over all patients.",
        )
        outcome = url.radio(c3, "Association test on", list(OUTCOMES), key="resp_outcome", param="assoc", default="responder",
                            horizontal=True, persist_state="session", format_func=OUTCOMES.get)
    options = ResponseOptions(by=by, denominator=denominator, outcome=outcome)
    render_view(ui.view("response_view", response_view, result.subset, options), presentation=ui.presentation())

    # Response dynamics: time to response, duration of response, time on treatment, swimmer plot.
    st.subheader("Response dynamics")
    color_by = url.radio(st, "Colour the swimmer plot by", list(SWIMMER_COLOR_BY), key="swim_color", param="swim_color",
                         default="best_response", horizontal=True, format_func=SWIMMER_COLOR_BY.get, persist_state="session")
    render_view(ui.view("swimmer_view", swimmer_view, result.subset, SwimmerOptions(color_by=color_by)),
                presentation=ui.presentation())
