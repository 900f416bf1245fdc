"""Views of a pool of centres (sarcoma.federated): the same View shapes the patient-row views
return (Survival, Subgroups, Response, Cohort), built from the centres' aggregate counts, plus
the pool itself (what each centre shared and why) and the between-centre heterogeneity.

Each says what it is computed from, what the centres merged or withheld, and what needs
patient rows (Cox hazard ratios, the waterfall plot), instead of showing a wrong number.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.federated import CENTRE, MERGED, Pooled, medians_by_centre, peto_by_centre
from sarcoma.formatting import hr_text, in_sentence, p_value_text
from sarcoma.km_summary import (
    BETWEEN_CENTRES_NOTE,
    CONF_TYPES,
    TESTS,
    Exclusion,
    GroupedSurvival,
    _summary_table,
    _test_phrase,
    at_risk_times,
)
from sarcoma.lifetable import km_from_table, medians_from_table
from sarcoma.plots import forest_figure, group_colors, km_figure
from sarcoma.response import TOTAL_LABEL
from sarcoma.risk_table import LAYOUTS, risk_table
from sarcoma.subgroups import ADJUSTMENTS, POST_BASELINE_NOTE, ROW_COLUMNS, SubgroupTable
from sarcoma.survival import LogRankResult, SurvivalInputError, _z, adjust_pvalues
from sarcoma.views.cohort import CohortOptions
from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View
from sarcoma.views.response import (
    DENOMINATOR_WORDS,
    RESPONSE_GROUPINGS,
    ResponseOptions,
    association_parts,
    display_response_table,
)
from sarcoma.views.subgroups import (
    DEFAULT_FOREST_VARIABLES,
    SubgroupOptions,
    display_subgroup_table,
    forest_block,
)
from sarcoma.views.survival import GUARANTEE_TIME_WARNING, SurvivalOptions, follow_up_line

NEEDS_ROWS = {
    "cox": "Cox regression needs each patient's covariates together; the centres share one grouping at a time, "
           "so it cannot be fitted from aggregate files.",
    "landmark": "A landmark analysis needs each patient's response and survival times together; the aggregate files do "
                "not link them.",
    "waterfall": "The waterfall and swimmer plots show one bar per patient: the aggregate files hold no patient rows.",
    "safety": "Adverse events are not in the aggregate files (they are shared only as a grouping, when a centre chose to).",
    "filters": "Only the centre filter works on pooled data (each file is a centre): the other filters would cross "
               "groupings, which the aggregate files never do.",
}


def centres_text(pooled: Pooled) -> str:
    """'1 centre', '3 centres' (for titles)."""
    n = len(pooled.files)
    return f"{n} centre" if n == 1 else f"{n} centres"


def pooled_sources(pooled: Pooled) -> str:
    return (f"Pooled from the aggregate files of {len(pooled.files)} centre(s) ({pooled.n_patients} patients): life tables "
            "and counts summed per level and time, so the estimates are those of the pooled patient rows.")


def _colors(pooled: Pooled, endpoint: str, grouping: str | None, levels: list) -> dict:
    """Colours over the whole pool's levels, so a level keeps its colour under the centre filter."""
    try:
        universe = [str(g) for g in pooled.universe.life_table(endpoint, grouping).groups]
    except SurvivalInputError:
        universe = []
    colors = group_colors(universe + [str(lv) for lv in levels if str(lv) not in universe])
    return {lv: colors[str(lv)] for lv in levels}


def _disclosure_warning(notes: list[str]) -> list[str]:
    if not notes:
        return []
    return [f"{len(notes)} note(s) from the centres' disclosure control: their small groups are merged into "
            f"'{MERGED}', left out or not shared, so the pooled results of those groups miss their patients (see the notes)."]


def peto_hr(test: LogRankResult, alpha: float = 0.05) -> tuple[float, float, float]:
    """Log-rank (Peto) hazard ratio of the second group vs the first: exp((O - E) / V)."""
    ome, var = float(test.o_minus_e[1]), float(test.variance[1, 1])
    if not var > 0:
        return math.nan, math.nan, math.nan
    z = _z(alpha)
    log_hr, se = ome / var, 1 / math.sqrt(var)
    return math.exp(log_hr), math.exp(log_hr - z * se), math.exp(log_hr + z * se)


# --------------------------------------------------------------------------- survival


def pooled_survival(pooled: Pooled, options: SurvivalOptions, grouping: str | None) -> GroupedSurvival:
    """What `km_summary.survival_by_group` gives for patient rows, from the pool."""
    endpoint = options.endpoint
    table = pooled.life_table(endpoint, grouping)
    curves = km_from_table(table, conf_type=options.conf_type)
    ticks = at_risk_times(float(table.time.max()) if table.n_rows else 0.0)
    levels = list(curves)
    result_test, test_name, note = None, None, None
    if len(levels) >= 2:
        strata = "centre" if options.stratify and grouping != CENTRE else None
        if options.stratify and grouping == CENTRE:  # centre strata would leave nothing to compare
            note = BETWEEN_CENTRES_NOTE
        elif options.stratify and pooled.life_table(endpoint, grouping, by_centre=True).strata.size < 2:
            note = "Not stratified: a single centre has patients in these groups."
        try:
            if options.test == "trend":
                result_test = pooled.logrank(endpoint, grouping, strata=strata, scores=[float(i + 1) for i in range(len(levels))])
            else:
                result_test = pooled.logrank(endpoint, grouping, strata=strata, weights=options.test)
            test_name = TESTS[options.test]
        except SurvivalInputError as exc:
            note = f"{TESTS[options.test]} not computed: {exc}"
        if options.test == "trend" and grouping is not None and not pooled.grouping(grouping).ordered:
            note = "Trend test uses groups in the order shown; this grouping has no natural order."
    elif grouping is not None:
        note = "Only one group in the current selection: no comparison possible."
    follow = pooled.follow_up()
    excluded = tuple(Exclusion(reason, n, ()) for reason, n in pooled.not_in_curves(endpoint, grouping))
    return GroupedSurvival(
        endpoint=endpoint, grouping=grouping, grouping_label=pooled.label(grouping), curves=curves,
        table=_summary_table(curves, (6.0, 12.0, 24.0), options.min_group_size), at_risk=table.at_risk_at(ticks),
        test=result_test, test_name=test_name, test_note=note, conf_type=options.conf_type,
        follow_up=(math.nan,) * 3 if follow is None else (follow.median, follow.median_lower, follow.median_upper),
        n_subset=pooled.n_patients, excluded=excluded,
        small_groups=tuple(str(lv) for lv, c in curves.items() if c.n < options.min_group_size), follow_up_km=follow,
    )


def pooled_survival_view(pooled: Pooled, options: SurvivalOptions, ctx: ViewContext) -> View:
    """Kaplan-Meier curves of the pool by a grouping, the (centre-stratified) test and, for two
    groups, the log-rank based (Peto) hazard ratio."""
    endpoints = pooled.endpoints()
    key = f"km-{options.endpoint.lower()}"
    if options.endpoint not in endpoints:
        return View(key, "Survival", options.endpoint, options=options, warnings=(
            f"The pooled files have no {options.endpoint} data for every centre (pooled endpoints: {', '.join(endpoints) or 'none'}).",))
    warnings: list[str] = []
    grouping = options.grouping
    if grouping is not None and grouping not in pooled.groupings():
        warnings.append(f"Compare by {pooled.grouping(grouping).label}: not in every centre's file, so not shown.")
        grouping = None
    try:
        res = pooled_survival(pooled, options, grouping)
        problem = "the pooled data hold a single group" if grouping is not None and len(res.curves) < 2 else None
    except SurvivalInputError as exc:  # no centre could share a table by this grouping
        problem = str(exc).rstrip(".").replace("No centre shared", "no centre shared")
    if problem is not None:
        warnings.append(f"Compare by {pooled.label(grouping)}: not shown, because {problem}. "
                        "It is shown again when the centre filter allows it.")
        grouping = None
        res = pooled_survival(pooled, options, None)
    title = f"{endpoints[options.endpoint]} — {res.grouping_label} (pooled, {centres_text(pooled)})"
    label_lines = (res.test_label() or "").splitlines()
    lines = [label_lines[0]] if res.test is not None and label_lines else []
    if res.test is not None and len(res.curves) == 2:
        test = res.test if res.test.weights == "logrank" and res.test.test == "overall" else pooled.logrank(
            options.endpoint, grouping, strata="centre" if res.test.stratified else None)
        hr, lo, hi = peto_hr(test)
        if math.isfinite(hr):
            ref, other = list(res.curves)
            lines.append(f"HR {other} vs {ref}: {hr_text(hr, lo, hi)} (log-rank based, Peto"
                         f"{', stratified by centre' if test.stratified else ''}; a Cox HR needs patient rows)")
    other_notes = [n for n in (label_lines[1:] if res.test is not None else label_lines) if not n.startswith("⚠")]
    small = []
    if res.small_groups:
        small = [f"⚠ Fewer than {options.min_group_size} patients: {', '.join(res.small_groups)}."]
        warnings.append(f"Small groups (fewer than {options.min_group_size} patients): {', '.join(res.small_groups)}. "
                        "Their estimates, and the test's p-value, rest on very few patients.")
    if grouping is not None and pooled.grouping(grouping).post_baseline:
        warnings.append(GUARANTEE_TIME_WARNING)
    centre_notes = pooled.notes_for(options.endpoint, grouping)
    warnings += _disclosure_warning(centre_notes)
    legend = {lv: f"{lv} (n = {c.n}; median {'not reached' if not math.isfinite(c.median) else f'{c.median:.1f} mo'})"
              for lv, c in res.curves.items()}
    risk = risk_table(res.curves, list(res.at_risk.columns), options.risk_table)
    figure = km_figure(res.curves, at_risk=risk, title=title, annotation="\n".join(lines) or None, footnote=small,
                       show_ci=options.show_ci, colors=_colors(pooled, options.endpoint, grouping, list(res.curves)),
                       legend_labels=legend, style=ctx.style)
    notes = [*other_notes, follow_up_line(res),
             f"Analysed {res.n_analysed} of {res.n_subset} pooled patients ({pooled.files[0].endpoints[options.endpoint].eligibility})."]
    notes += [f"Not in the curves: {ex.n} patient(s) — {ex.reason}." for ex in res.excluded]
    notes += centre_notes
    at_risk_table = risk.copy()
    at_risk_table.index = [" · ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in at_risk_table.index]
    at_risk_table.columns = [f"{t:g}" for t in at_risk_table.columns]
    at_risk_table.index.name = f"{LAYOUTS[options.risk_table]} (months)"
    return View(
        key=key, chapter="Survival", title=title, lines=tuple(lines), figures=(FigureBlock(key, title, figure),),
        tables=(TableBlock(f"{key}-table", f"{endpoints[options.endpoint]}: medians and rates", res.display_table()),
                TableBlock(f"{key}-risk", f"{endpoints[options.endpoint]}: {LAYOUTS[options.risk_table].lower()}", at_risk_table,
                           in_deck=False, on_page=False)),
        notes=tuple(notes), warnings=tuple(warnings), methods=f"{pooled_sources(pooled)} {res.methods_note()}", options=options,
        facts={"endpoint": options.endpoint, "grouping": grouping, "tested": res.test is not None,
               "stratified": bool(res.test is not None and res.test.stratified), "pooled": True},
    )


# --------------------------------------------------------------------------- subgroups


def pooled_subgroup_table(pooled: Pooled, options: SubgroupOptions, variables: list[str]) -> SubgroupTable:
    """The subgroup table (as `sarcoma.subgroups.subgroup_table`) from the pool: medians per
    level and one unstratified test per variable, as the patient-row table computes them."""
    rows, tests = [], []
    for endpoint in (e for e in options.endpoints if e in pooled.endpoints()):
        for key in variables:
            g = pooled.grouping(key)
            try:
                table = pooled.life_table(endpoint, key)
            except SurvivalInputError:  # no centre could share a table by it (too few patients)
                continue
            m = medians_from_table(table, conf_type=options.conf_type)
            for j, level in enumerate(m["keys"]):
                rows.append({"endpoint": endpoint, "variable": key, "variable_label": g.label, "level": level,
                             "n": int(m["n"][j]), "events": int(m["events"][j]), "median": float(m["median"][j]),
                             "median_lower": float(m["median_lower"][j]), "median_upper": float(m["median_upper"][j]),
                             "median_text": m["median_text"][j], "small": bool(m["n"][j] < options.min_group_size)})
            small = [lv for lv, n in zip(m["keys"], m["n"], strict=True) if n < options.min_group_size]
            notes, lr = [], None
            if small:
                notes.append(f"group(s) below {options.min_group_size} patients: {', '.join(map(str, small))} — p-value unreliable")
            if g.post_baseline:
                notes.append(POST_BASELINE_NOTE)
            if len(m["keys"]) < 2:
                notes.append("Only one group in the current selection: no comparison possible.")
            else:
                try:
                    lr = pooled.logrank(endpoint, key, strata=None, weights=options.test)
                except SurvivalInputError as exc:
                    notes.append(f"{TESTS[options.test]} not computed: {exc}")
            notes += [f"{n} patient(s) not in this comparison: {reason}" for reason, n in pooled.not_in_curves(endpoint, key)]
            merged = [n.split(":")[0] for n in pooled.notes_for(endpoint, key)]
            if merged:
                notes.append(f"small groups merged, left out or not shared by {', '.join(dict.fromkeys(merged))}")
            tests.append({"endpoint": endpoint, "variable": key, "variable_label": g.label, "test": TESTS[options.test],
                          "test_text": f"{TESTS[options.test]}: not computed" if lr is None else f"{TESTS[options.test]} χ² = {lr.statistic:.2f}, df = {lr.df}",
                          "statistic": lr.statistic if lr else np.nan, "df": lr.df if lr else np.nan,
                          "p_value": lr.p_value if lr else np.nan, "small_groups": bool(small), "post_baseline": g.post_baseline,
                          "note": "; ".join(notes)})
    tests_df = pd.DataFrame(tests, columns=["endpoint", "variable", "variable_label", "test", "test_text", "statistic", "df",
                                            "p_value", "small_groups", "post_baseline", "note"])
    p = tests_df["p_value"].to_numpy(float)
    computed = np.isfinite(p)
    adjusted = np.full(len(p), np.nan)
    adjusted[computed] = adjust_pvalues(p[computed], options.adjust)
    tests_df["p_adjusted"] = adjusted
    return SubgroupTable(rows=pd.DataFrame(rows, columns=ROW_COLUMNS), tests=tests_df, adjust=options.adjust,
                         n_tests=int(computed.sum()), min_group_size=options.min_group_size)


def _why_not_shown(pooled: Pooled, endpoints: list[str], key: str) -> str | None:
    """Why a chosen subgroup variable splits none of the endpoints' pooled data (None: it does)."""
    singles = []
    for endpoint in endpoints:
        try:
            groups = [str(g) for g in pooled.life_table(endpoint, key).groups]
        except SurvivalInputError:
            continue
        if len(groups) >= 2:
            return None
        singles += groups
    if not singles:
        return ("no centre could share it: every centre's groups by it were below the centre's minimum cell size "
                "(disclosure control)")
    if MERGED in singles or any(pooled.notes_for(e, key) for e in endpoints):
        return f"the centres' disclosure control merged or left out its small groups, leaving one group ({singles[0]})"
    return f"all pooled patients are in one group ({singles[0]})"


def pooled_subgroup_view(pooled: Pooled, options: SubgroupOptions, ctx: ViewContext) -> View:
    available = [k for k in pooled.groupings()]
    wanted = list(options.variables) if options.variables is not None else available
    warnings = [f"{pooled.grouping(k).label}: not in every centre's file, so not in the pooled table." for k in wanted if k not in available]
    title = f"Survival by subgroup (pooled, {centres_text(pooled)})"
    endpoints = [e for e in options.endpoints if e in pooled.endpoints()]
    missing = [e for e in options.endpoints if e not in pooled.endpoints()]
    if missing:
        warnings.append(f"{', '.join(missing)}: not in every centre's file (or no patient has data), so not in the pooled table.")
    chosen = []
    for k in wanted:
        if k not in available or not endpoints:
            continue
        why = _why_not_shown(pooled, endpoints, k)
        if why is None:
            chosen.append(k)
        else:  # said, not silently dropped
            warnings.append(f"{pooled.grouping(k).label}: not shown, because {why}.")
    if not chosen:
        return View("subgroups", "Subgroups", title, warnings=(*warnings, "No chosen variable splits the pooled data into two or more groups."),
                    options=options)
    table = pooled_subgroup_table(pooled, options, chosen)
    for endpoint in endpoints:  # a variable shown for one endpoint may have no table for another
        absent = [pooled.grouping(k).label for k in chosen if not ((table.rows["endpoint"] == endpoint) & (table.rows["variable"] == k)).any()]
        if absent:
            warnings.append(f"{endpoint}: not by {', '.join(absent)}, because no centre could share a {endpoint} table by "
                            f"{'it' if len(absent) == 1 else 'them'} (groups below the centres' minimum cell size).")
    display, footnotes = display_subgroup_table(table, options)
    adjusted = ADJUSTMENTS[options.adjust]
    lines = (f"{table.n_tests} tests in this table ({TESTS[options.test]}, not stratified, as on patient rows). 'p' is each test's "
             "own p-value" + ("" if options.adjust == "none" else f"; 'p ({adjusted}-adjusted)' corrects it for the {table.n_tests} tests shown") + ".",)
    if any(pooled.grouping(k).post_baseline for k in chosen):
        warnings.append(GUARANTEE_TIME_WARNING)
    notes = [f"Groups with fewer than {table.min_group_size} patients are drawn hollow in the forest plot and flagged in the notes."]
    median_options = options
    if options.forest_kind == "hr":
        notes.append(f"Forest plot of medians: {NEEDS_ROWS['cox']}")
        median_options = dataclasses.replace(options, forest_kind="median")
    forest_vars = [k for k in (options.forest_variables if options.forest_variables is not None else DEFAULT_FOREST_VARIABLES) if k in chosen]
    figures = tuple(forest_block(table, None, median_options, endpoint, forest_vars, ctx) for endpoint in options.forest_endpoints
                    if forest_vars and (table.rows["endpoint"] == endpoint).any())
    deck = (display[display["p"] != ""].drop(columns=["Group", "n (events)", "Median (95% CI), months", "Note"]),)
    return View(
        key="subgroups", chapter="Subgroups", title=title, lines=lines,
        tables=(TableBlock("subgroups", title, display, notes=tuple(footnotes), deck=deck, in_deck=False),),
        figures=figures, warnings=tuple(warnings), notes=tuple(notes),
        methods=(f"{pooled_sources(pooled)} Subgroup table: Kaplan-Meier median of each level with its 95% CI "
                 f"({CONF_TYPES[options.conf_type]}) and one unstratified {_test_phrase(TESTS[options.test])} per variable" + (f"; p-values also adjusted over the {table.n_tests} tests ({adjusted})."
                                                          if options.adjust != "none" else "; no multiplicity adjustment.")),
        options=options, figures_first=False,
        facts={"n_tests": table.n_tests, "subgroup_test": options.test, "adjust": options.adjust, "subgroup_conf_type": options.conf_type,
               "pooled": True},
    )


# --------------------------------------------------------------------------- response


def pooled_response_groupings(pooled: Pooled) -> dict[str, str]:
    """The response page's groupings the pool has (every centre's file)."""
    have = pooled.groupings()
    return {k: label for k, label in RESPONSE_GROUPINGS.items() if k in have}


def _response_shared(pooled: Pooled, grouping: str) -> bool:
    """True when at least one centre shared best-response counts by this grouping."""
    if grouping == CENTRE:
        return True
    return any(f.response is not None and grouping in f.response.by and not f.response.by[grouping].withheld
               and f.response.by[grouping].levels for f in pooled.files)


def pooled_response_view(pooled: Pooled, options: ResponseOptions, ctx: ViewContext) -> View:
    label = RESPONSE_GROUPINGS[options.by]
    title = f"Best response by {in_sentence(label)} (pooled, {centres_text(pooled)})"
    if not pooled.has_response():
        return View("response", "Response", title, options=options,
                    warnings=("No centre's file has best-response data, so response rates cannot be computed.",))
    if options.by not in pooled_response_groupings(pooled):
        return View("response", "Response", title, options=options,
                    warnings=(f"{label}: not in every centre's file, so the pooled table by it cannot be shown.",))
    table, centre_notes = pooled.response_table(options.by, denominator=options.denominator)
    if len(table.index) == 1:  # only the Total row: every centre withheld its counts by this grouping
        shared = [RESPONSE_GROUPINGS[k] for k in pooled_response_groupings(pooled) if _response_shared(pooled, k)]
        return View("response", "Response", title, options=options, notes=tuple(centre_notes), warnings=(
            f"No centre shared best-response counts by {in_sentence(label)} (each centre's groups were below its minimum "
            "cell size), so there is no pooled table by it. Groupings the centres shared: "
            + (", ".join(shared) if shared else "none") + ".",))
    table.index.name = label
    overall = pooled.objective_response(denominator=options.denominator)
    lines = [f"Overall: {overall.label}; {overall.dcr_label}"]
    notes = [overall.describe()]
    warnings = _disclosure_warning([n for n in centre_notes if MERGED in n or "not shared" in n])
    groups = [g for g in table.index if g not in (TOTAL_LABEL, "(missing)")]

    def crosstab() -> pd.DataFrame:
        rows = table.loc[groups]
        if options.outcome == "responder":
            counts = pd.DataFrame({"Responder: yes": rows["responders"], "Responder: no": rows["n_denominator"] - rows["responders"]})
        else:
            counts = rows[["CR", "PR", "SD", "PD"] + (["NE"] if options.denominator == "all" else [])]
        return counts.astype(np.int64)

    what = "responder (CR/PR) vs not" if options.outcome == "responder" else "best response"
    association_parts(groups, table, f"{label} × {what}, {DENOMINATOR_WORDS[options.denominator]}", crosstab, lines, warnings, notes)
    notes.append(NEEDS_ROWS["waterfall"])
    notes += centre_notes
    return View(
        key="response", chapter="Response", title=title, lines=tuple(lines),
        tables=(TableBlock("response-table", title, display_response_table(table, options.denominator)),),
        notes=tuple(notes), warnings=tuple(warnings), options=options, figures_first=False,
        methods=(f"{pooled_sources(pooled)} ORR = (CR+PR) / {DENOMINATOR_WORDS[options.denominator]}; DCR = (CR+PR+SD) / the same "
                 "denominator. 95% CI: Clopper-Pearson exact. Association: Pearson chi-square and Fisher's exact (2×2) or "
                 "Fisher-Freeman-Halton (r×c) test on the pooled counts. Totals are computed from the rows."),
        facts={"response": True, "response_by_label": label, "pooled": True},
    )


# --------------------------------------------------------------------------- cohort


def pooled_cohort_view(pooled: Pooled, options: CohortOptions, ctx: ViewContext) -> View:
    """Table 1 from the centres' counts, overall or with one column per centre."""
    warnings = []
    by_centre = options.by == CENTRE
    if options.by is not None and not by_centre:
        warnings.append("Table 1 of pooled data can be split by centre only: a split by another variable would cross two "
                        "variables, which the aggregate files never do.")
    table, notes = pooled.table1(by_centre=by_centre)
    title = "Patient characteristics (pooled" + (", by centre)" if by_centre else ")")
    lines = ()
    if by_centre:  # the table is wider than a page: say the centre columns are there
        lines = (f"Columns: All, then one per centre ({', '.join(pooled.centres)}); scroll the table sideways to see every "
                 "centre.",)
    return View(
        key="table1", chapter="Patients", title=title, lines=lines,
        tables=(TableBlock("table1", f"{title} (n = {pooled.n_patients})", table),),
        notes=("Categorical variables: n (% of the patients of the centres that shared the variable); numbers: median "
               "(range), from bands where marked.", *notes),
        warnings=tuple(warnings), methods=pooled_sources(pooled) + " No tests between centres: they need patient rows.",
        options=options, facts={"table1_by_label": "Centre" if by_centre else None, "pooled": True},
    )


# --------------------------------------------------------------------------- the pool and heterogeneity


def pool_view(pooled: Pooled) -> View:
    """What is in the pool: one row per centre, the settings it shared with, and every change
    its disclosure control made (in the centre's own words)."""
    rows = []
    for centre, f in zip(pooled.centres, pooled.files, strict=True):
        row = {"Centre": centre, "File": f.name, "Patients": f.n_patients}
        for key, ep in f.endpoints.items():
            row[f"{key} (events)"] = "not shared" if ep.withheld else ("–" if not ep.n else f"{ep.n} ({int(ep.overall.events.sum())})")
        row["Minimum cell"] = f.settings.get("min_cell")
        row["Times"] = f.time_precision or "as recorded"
        row["Post-baseline groupings"] = "yes" if f.settings.get("post_baseline") else "no"
        row["Tool version"] = f.tool_version
        rows.append(row)
    disclosure = pd.DataFrame([{"Centre": c, "What was changed and why": reason}
                               for c, f in zip(pooled.centres, pooled.files, strict=True) for _, reason in f.disclosure])
    tables = [TableBlock("pool-centres", "Centres in the pool", pd.DataFrame(rows))]
    if len(disclosure):
        tables.append(TableBlock("pool-disclosure", "Disclosure control at each centre", disclosure, in_deck=False))
    return View("pool", "Pool", f"Pool of {len(pooled.files)} centre(s), {pooled.n_patients} patients", tables=tuple(tables),
                warnings=pooled.notes, methods=pooled_sources(pooled))


@dataclass(frozen=True)
class HeterogeneityOptions:
    endpoint: str = "PFS"
    grouping: str | None = None
    reference: str | None = None
    comparison: str | None = None
    conf_type: str = "log-log"


def heterogeneity_view(pooled: Pooled, options: HeterogeneityOptions, ctx: ViewContext) -> View:
    """Per-centre medians (and, for two levels, per-centre Peto hazard ratios with Cochran's Q
    and I²): does one centre drive the pooled result?"""
    endpoint = options.endpoint
    title = f"Between-centre heterogeneity: {endpoint}"
    if endpoint not in pooled.endpoints():
        return View("heterogeneity", "Survival", title, warnings=(f"No pooled {endpoint} data.",), options=options)
    figures, tables, lines, notes, warnings = [], [], [], [], []
    level = options.comparison if options.grouping is not None else None
    medians = medians_by_centre(pooled, endpoint, options.grouping, level, conf_type=options.conf_type)
    who = f"{level}, " if level is not None else ""
    data = medians.assign(label=medians["Centre"], events=[f"{n} ({e})" for n, e in zip(medians["n"], medians["Events"], strict=True)],
                          small=medians["n"] < 5)
    figures.append(FigureBlock(
        "heterogeneity-medians", f"Median {endpoint} by centre",
        forest_figure(data, estimate="median", lower="lower", upper="upper", label="label", flag="small",
                      columns={"n (events)": "events", "Median (95% CI), months": "Median (95% CI), months"},
                      x_label=f"Median {endpoint}, months", title=f"Median {endpoint} by centre ({who}{CONF_TYPES[options.conf_type].split(',')[0]} CI)",
                      style=ctx.style),
    ))
    tables.append(TableBlock("heterogeneity-medians", f"Median {endpoint} by centre", medians[["Centre", "n", "Events", "Median (95% CI), months"]]))
    if options.grouping is not None and options.reference is not None and options.comparison is not None:
        het = peto_by_centre(pooled, endpoint, options.grouping, options.reference, options.comparison)
        lines.append(het.summary())
        shown = [c for c in het.centres if not c.note]
        if shown:
            rows = pd.DataFrame([{"label": c.centre, "estimate": c.hr, "lower": c.lower, "upper": c.upper, "small": c.n < 5,
                                  "events": f"{c.n} ({c.events})", "text": hr_text(c.hr, c.lower, c.upper)} for c in shown]
                                + [{"label": "All centres (Peto, fixed effect)", "estimate": het.hr, "lower": het.lower, "upper": het.upper,
                                    "small": False, "events": f"{sum(c.n for c in shown)} ({sum(c.events for c in shown)})",
                                    "text": hr_text(het.hr, het.lower, het.upper)}])
            figures.insert(0, FigureBlock(
                "heterogeneity-hr", f"Peto hazard ratio by centre: {options.comparison} vs {options.reference}",
                forest_figure(rows, estimate="estimate", lower="lower", upper="upper", label="label", flag="small",
                              columns={"n (events)": "events", "HR (95% CI)": "text"}, log_x=True, reference=1.0,
                              favours=(f"lower hazard in {options.comparison}", "higher hazard"),
                              x_label="Hazard ratio (log-rank based, Peto; log scale)",
                              title=f"{endpoint}: {options.comparison} vs {options.reference} by centre", style=ctx.style),
            ))
        table = het.table()
        table["O - E"] = [f"{v:.2f}" if math.isfinite(v) else "" for v in table["O - E"]]
        table["V"] = [f"{v:.2f}" if math.isfinite(v) else "" for v in table["V"]]
        tables.insert(0, TableBlock("heterogeneity-hr", f"Peto hazard ratio by centre: {options.comparison} vs {options.reference}", table))
        excluded = [f"{c.centre}: {c.note}" for c in het.centres if c.note]
        notes += excluded
        if het.df >= 1 and het.i2 >= 0.5:
            warnings.append(f"I² = {100 * het.i2:.0f}%: the centres' hazard ratios differ more than chance would explain "
                            "(substantial heterogeneity). Look at the forest plot before reading the pooled result.")
        if het.df >= 1 and math.isfinite(het.p_value) and het.p_value < 0.1 and het.i2 < 0.5:
            notes.append(f"Cochran's Q p = {p_value_text(het.p_value)}: Q has little power with few centres; read I² and the plot too.")
    else:
        notes.append("Choose a grouping with two levels to compare (or pick two levels) for per-centre hazard ratios, Cochran's Q and I².")
    notes.append("Hollow squares: centres with fewer than 5 patients.")
    return View(
        "heterogeneity", "Survival", title, lines=tuple(lines), figures=tuple(figures), tables=tuple(tables), notes=tuple(notes),
        warnings=tuple(warnings), options=options, figures_first=True,
        methods=("Per centre: Kaplan-Meier median (95% CI) and the log-rank based (Peto) hazard ratio exp((O - E)/V), 95% CI "
                 "exp((O - E)/V ± 1.96/√V). All centres: fixed-effect pool exp(Σ(O - E)/ΣV), the centre-stratified log-rank "
                 "estimate. Heterogeneity: Cochran's Q = Σ(O - E)²/V − (Σ(O - E))²/ΣV on (centres − 1) df and "
                 "I² = max(0, (Q − df)/Q) (Higgins & Thompson 2002)."),
    )


__all__ = [
    "NEEDS_ROWS", "HeterogeneityOptions", "heterogeneity_view", "peto_hr", "pool_view", "pooled_cohort_view",
    "pooled_response_groupings", "pooled_response_view", "pooled_subgroup_table", "pooled_subgroup_view",
    "pooled_survival", "pooled_survival_view",
]
