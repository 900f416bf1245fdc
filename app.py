"""Streamlit entry point: navigation only; every number comes from the `sarcoma` package."""

import streamlit as st

st.set_page_config(page_title="Sarcoma ICI cohort explorer", layout="wide")
st.title("Sarcoma ICI cohort explorer")
st.info("The dashboard is being built; the analysis core lives in the `sarcoma` package.")
