"""Subgroup view: every grouping variable for both endpoints in one table, with unadjusted and
multiplicity-adjusted p-values side by side, and a forest plot of medians or Cox hazard ratios
for the variables the user picks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.cox import univariable_cox
from sarcoma.endpoints import ENDPOINTS, endpoint_data
from sarcoma.formatting import hr_text, in_sentence, p_value_text
from sarcoma.groupings import make_groupings, why_not_grouped
from sarcoma.km_summary import CONF_TYPES, DEFAULT_MIN_GROUP, TESTS
from sarcoma.plots import forest_figure
from sarcoma.subgroups import ADJUSTMENTS, SubgroupTable, subgroup_table
from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View
from sarcoma.views.survival import GUARANTEE_TIME_WARNING, check_choice

FOREST_KINDS = {"median": "Median survival (95% CI)", "hr": "Cox hazard ratio (95% CI)"}
# The forest plot's variables unless the user picks others: the seed's baseline subgroups, which
# keep the plot readable on one screen or slide (the table keeps every variable).
DEFAULT_FOREST_VARIABLES: tuple[str, ...] = ("line_2", "histotype", "head_neck", "sex")
FOOTNOTE_MARKS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SubgroupOptions:
    variables: tuple[str, ...] | None = None  # None: every variable that splits the selection
    test: str = "logrank"
    conf_type: str = "log-log"
    adjust: str = "holm"
    min_group_size: int = DEFAULT_MIN_GROUP
    endpoints: tuple[str, ...] = ("PFS", "OS")  # the table's endpoints (each adds its tests to the family)
    forest_endpoints: tuple[str, ...] = ("PFS",)  # one forest plot per endpoint (the report draws every one)
    forest_kind: str = "median"
    forest_variables: tuple[str, ...] | None = None  # None: DEFAULT_FOREST_VARIABLES among the table's

    def __post_init__(self) -> None:
        check_choice(self.test, [t for t in TESTS if t != "trend"], "subgroup test")
        check_choice(self.conf_type, CONF_TYPES, "confidence-interval method")
        check_choice(self.adjust, ADJUSTMENTS, "multiplicity adjustment")
        if not self.endpoints:
            raise ValueError("Choose at least one endpoint for the subgroup table.")
        for endpoint in self.endpoints:
            check_choice(endpoint, ENDPOINTS, "subgroup table endpoint")
        for endpoint in self.forest_endpoints:
            check_choice(endpoint, ENDPOINTS, "forest plot endpoint")
        check_choice(self.forest_kind, FOREST_KINDS, "forest plot kind")
        groupings = make_groupings()
        for key in (*(self.variables or ()), *(self.forest_variables or ())):
            check_choice(key, groupings, "subgroup variable")
        if self.min_group_size < 1:
            raise ValueError("The minimum group size must be at least 1.")


def subgroup_view(cohort: pd.DataFrame, options: SubgroupOptions, ctx: ViewContext) -> View:
    groupings = make_groupings(ctx.line_cut)
    wanted = list(options.variables) if options.variables is not None else list(groupings)
    problems = {k: p for k in wanted if (p := why_not_grouped(cohort, groupings[k])) is not None}
    chosen = [k for k in wanted if k not in problems]
    warnings = []
    if options.variables is not None:  # a variable the user chose that this selection cannot split: said
        warnings += [f"{groupings[k].label}: not shown for this selection, because {p}. It is shown again when the filters allow it."
                     for k, p in problems.items()]
    title = "Survival by subgroup"
    if not chosen:
        return View("subgroups", "Subgroups", title, warnings=(*warnings, "No chosen variable splits this selection into two or more groups."),
                    options=options)
    table = subgroup_table(cohort, endpoints=options.endpoints, groupings=chosen, conf_type=options.conf_type, test=options.test,
                           adjust=options.adjust, min_group_size=options.min_group_size, line_cut=ctx.line_cut)
    display, footnotes = display_subgroup_table(table, options)
    adjusted = ADJUSTMENTS[options.adjust]
    lines = (f"{table.n_tests} tests in this table ({TESTS[options.test]}). 'p' is each test's own p-value, as papers "
             "report it" + ("" if options.adjust == "none" else f"; 'p ({adjusted}-adjusted)' corrects it for the {table.n_tests} tests shown") + ".",)
    if any(groupings[k].post_baseline for k in chosen):
        warnings.append(GUARANTEE_TIME_WARNING)
    forest_vars = [k for k in (options.forest_variables if options.forest_variables is not None else DEFAULT_FOREST_VARIABLES) if k in chosen]
    figures = tuple(forest_block(table, cohort, options, endpoint, forest_vars, ctx) for endpoint in options.forest_endpoints
                    if forest_vars and (table.rows["endpoint"] == endpoint).any())
    deck = (display[display["p"] != ""].drop(columns=["Group", "n (events)", "Median (95% CI), months", "Note"]),)  # one row per test
    return View(
        key="subgroups", chapter="Subgroups", title=title, lines=lines,
        tables=(TableBlock("subgroups", title, display, notes=tuple(footnotes), deck=deck, in_deck=False),),
        figures=figures, warnings=tuple(warnings),
        notes=(analysed_note(cohort, options.endpoints),
               f"Groups with fewer than {table.min_group_size} patients are drawn hollow in the forest plot and flagged in the notes."),
        methods=(f"Kaplan-Meier medians with 95% CI ({CONF_TYPES[options.conf_type]}); groups compared with the "
                 f"{TESTS[options.test]} test; "
                 + (f"p-values also adjusted over the {table.n_tests} tests of the table ({adjusted})." if options.adjust != "none"
                    else "no multiplicity adjustment.")),
        options=options, figures_first=False,
        facts={"n_tests": table.n_tests, "subgroup_test": options.test, "adjust": options.adjust, "subgroup_conf_type": options.conf_type,
               "subgroup_endpoints": tuple(options.endpoints)},
    )


def analysed_note(cohort: pd.DataFrame, endpoints: tuple[str, ...]) -> str:
    """Whom each endpoint of the table counts: 'DoR 22 of 72 (responders (CR/PR) with a response date)'."""
    parts = [f"{key} {len(endpoint_data(cohort, key))} of {len(cohort)} ({ENDPOINTS[key].eligibility})" for key in endpoints]
    return "Patients analysed: " + "; ".join(parts) + "."


def display_subgroup_table(table: SubgroupTable, options: SubgroupOptions) -> tuple[pd.DataFrame, list[str]]:
    """The table as read: both p columns named, notes as footnote marks listed under the table
    (a long note in a cell would be cut off on a screen and a slide)."""
    rows = table.rows.copy()
    tests = table.tests.set_index(["endpoint", "variable"])
    first = (~rows.duplicated(["endpoint", "variable"])).to_numpy()
    t = tests.reindex(pd.MultiIndex.from_frame(rows[["endpoint", "variable"]]))
    footnotes: list[str] = []
    marks = []
    for is_first, (endpoint, label, note) in zip(first, zip(rows["endpoint"], rows["variable_label"], t["note"], strict=True), strict=True):
        if is_first and isinstance(note, str) and note:
            mark = FOOTNOTE_MARKS[len(footnotes) % len(FOOTNOTE_MARKS)] * (1 + len(footnotes) // len(FOOTNOTE_MARKS))
            footnotes.append(f"{mark}: {endpoint} by {in_sentence(label)}: {note.rstrip('.')}.")
            marks.append(mark)
        else:
            marks.append("")
    adjusted = ADJUSTMENTS[options.adjust]
    out = pd.DataFrame({
        "Endpoint": rows["endpoint"].where(first, ""),
        "Variable": rows["variable_label"].where(first, ""),
        "Group": rows["level"].astype(str),
        "n (events)": [f"{n} ({e})" for n, e in zip(rows["n"], rows["events"], strict=True)],
        "Median (95% CI), months": rows["median_text"],
        "p": [p_value_text(p) if f else "" for p, f in zip(t["p_value"], first, strict=True)],
    })
    if options.adjust != "none":
        out[f"p ({adjusted}-adjusted)"] = [p_value_text(p) if f else "" for p, f in zip(t["p_adjusted"], first, strict=True)]
    out["Note"] = marks
    return out, footnotes


def forest_block(table: SubgroupTable, cohort: pd.DataFrame, options: SubgroupOptions, endpoint_key: str, variables: list[str],
                 ctx: ViewContext) -> FigureBlock:
    endpoint = ENDPOINTS[endpoint_key]
    notes: list[str] = []
    if options.forest_kind == "median":
        rows = table.rows[(table.rows["endpoint"] == endpoint.key) & table.rows["variable"].isin(variables)]
        rows = rows.assign(order=rows["variable"].map({k: i for i, k in enumerate(variables)})).sort_values("order", kind="stable")
        data = pd.DataFrame({
            "group": rows["variable_label"], "label": rows["level"].astype(str),
            "estimate": rows["median"], "lower": rows["median_lower"], "upper": rows["median_upper"], "small": rows["small"],
            "n_events": [f"{n} ({e})" for n, e in zip(rows["n"], rows["events"], strict=True)], "text": rows["median_text"],
        })
        fig = forest_figure(data, estimate="estimate", lower="lower", upper="upper", label="label", group="group", flag="small",
                            columns={"n (events)": "n_events", "Median (95% CI), months": "text"},
                            x_label=f"Median {endpoint.key}, months", title=f"{endpoint.title}: median by subgroup", style=ctx.style)
    else:
        cox = univariable_cox(cohort, endpoint.key, variables, line_cut=ctx.line_cut, min_group_size=options.min_group_size, check_ph=False)
        fitted = cox[cox["hr"].notna()]
        labels = make_groupings(ctx.line_cut)
        parts = fitted["label"].str.split(": ", n=1, expand=True)
        n_text = [f"{int(n)} ({int(e)})" if np.isfinite(n) else "" for n, e in zip(fitted["n_level"].astype(float), fitted["events_level"].astype(float), strict=True)]
        data = pd.DataFrame({
            "group": parts[0].to_numpy(), "label": parts[1].to_numpy() if parts.shape[1] > 1 else fitted["label"].to_numpy(),
            "estimate": fitted["hr"].to_numpy(), "lower": fitted["lower"].to_numpy(), "upper": fitted["upper"].to_numpy(),
            "small": fitted["small"].astype(bool).to_numpy(), "n_events": n_text,
            "text": [hr_text(h, lo, hi) for h, lo, hi in zip(fitted["hr"], fitted["lower"], fitted["upper"], strict=True)],
        })
        fig = forest_figure(data, estimate="estimate", lower="lower", upper="upper", label="label", group="group", flag="small",
                            columns={"n (events)": "n_events", "HR (95% CI)": "text"}, log_x=True, reference=1.0,
                            favours=("lower hazard than the reference", "higher hazard"),
                            x_label="Hazard ratio vs the reference level (log scale)",
                            title=f"{endpoint.title}: hazard ratio by subgroup (univariable Cox)", style=ctx.style)
        notes = [f"{labels[k].label}: {note}" for k, note in zip(cox["covariate"], cox["note"], strict=True)
                 if isinstance(note, str) and note and k in labels and not np.isfinite(cox.loc[cox["covariate"] == k, "hr"]).any()]
        notes = list(dict.fromkeys(notes))
    notes.append("Hollow squares: groups below the minimum size. Dotted whiskers: CI limit not reached.")
    return FigureBlock(f"forest-{endpoint.key.lower()}", f"{endpoint.title}: forest plot", fig, notes=tuple(notes))
