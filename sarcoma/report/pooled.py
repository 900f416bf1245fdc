"""The report of a pool of centres (sarcoma.federated): the pooled Views the pages show,
flattened into the same `Section`s the HTML report and the deck lay out.

Order: the pool (centres, what each shared), Table 1, Kaplan-Meier curves of every pooled
endpoint with the medians by centre, the subgroup table, the response table, the methods.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

from sarcoma.federated import Pooled
from sarcoma.plots import PlotStyle
from sarcoma.report.collect import Report, ReportMeta, Section, _guard, view_sections
from sarcoma.views import View, ViewContext
from sarcoma.views.cohort import CohortOptions
from sarcoma.views.pooled import (
    HeterogeneityOptions,
    heterogeneity_view,
    pool_view,
    pooled_cohort_view,
    pooled_response_view,
    pooled_sources,
    pooled_subgroup_view,
    pooled_survival_view,
)
from sarcoma.views.response import ResponseOptions
from sarcoma.views.subgroups import SubgroupOptions
from sarcoma.views.survival import SurvivalOptions

POOLED_DECK: tuple[str, ...] = ("pool-centres", "table1", "km-pfs", "km-os", "heterogeneity-medians", "forest-pfs",
                                "response-table", "methods")


@dataclass(frozen=True)
class PooledReportOptions:
    """The pooled pages' options (what they last showed) and the display sizes."""

    table1: CohortOptions = field(default_factory=CohortOptions)
    survival: SurvivalOptions = field(default_factory=lambda: SurvivalOptions(stratify=True))
    subgroups: SubgroupOptions = field(default_factory=SubgroupOptions)
    response: ResponseOptions = field(default_factory=ResponseOptions)
    presentation: bool = False
    slides: bool = False


def pooled_report_views(pooled: Pooled, o: PooledReportOptions, ctx: ViewContext) -> list[View]:
    views = [pool_view(pooled), _guard("Patients", "table1", "Patient characteristics", lambda: pooled_cohort_view(pooled, o.table1, ctx))]
    for key, title in pooled.endpoints().items():
        views.append(_guard("Survival", f"km-{key.lower()}", title,
                            lambda key=key: pooled_survival_view(pooled, dataclasses.replace(o.survival, endpoint=key), ctx)))
        views.append(_guard("Survival", f"heterogeneity-{key.lower()}", f"{title} by centre",
                            lambda key=key: _keyed(heterogeneity_view(pooled, HeterogeneityOptions(endpoint=key), ctx), key)))
    # One forest plot per endpoint of the subgroup table (the endpoints the Subgroups page chose).
    endpoints = tuple(e for e in o.subgroups.endpoints if e in pooled.endpoints()) or ("PFS",)
    views.append(_guard("Subgroups", "subgroups", "Survival by subgroup",
                        lambda: pooled_subgroup_view(pooled, dataclasses.replace(o.subgroups, forest_endpoints=endpoints), ctx)))
    views.append(_guard("Response", "response", "Best response", lambda: pooled_response_view(pooled, o.response, ctx)))
    return views


def _keyed(view: View, endpoint: str) -> View:
    """One heterogeneity view per endpoint: their blocks get the endpoint in their keys."""
    suffix = "" if endpoint == "PFS" else f"-{endpoint.lower()}"
    return dataclasses.replace(
        view, figures=tuple(dataclasses.replace(b, key=b.key + suffix) for b in view.figures),
        tables=tuple(dataclasses.replace(b, key=b.key + suffix) for b in view.tables))


def collect_pooled_report(pooled: Pooled, options: PooledReportOptions | None = None, *,
                          generated: dt.datetime | None = None) -> Report:
    """Every pooled figure and table, and a methods paragraph saying how the pool was made."""
    o = options or PooledReportOptions()
    style = PlotStyle.slides() if o.slides else PlotStyle.presentation() if o.presentation else PlotStyle()
    views = pooled_report_views(pooled, o, ViewContext(dataset=None, line_cut=pooled.line_cut, style=style))
    sections = [s for v in views for s in view_sections(v)]
    sections.append(Section("methods", "Methods", "Statistical methods", text=pooled_methods(pooled, views)))
    chosen = pooled.centres if pooled.universe is pooled else None
    filters = () if chosen else (f"Centre: {', '.join(pooled.centres)}",)
    meta = ReportMeta(cohort_name=f"Pool of {len(pooled.universe.files)} centres (aggregate files)", n=pooled.n_patients,
                      n_total=pooled.universe.n_patients, filters=filters,
                      **({"generated": generated} if generated is not None else {}))
    return Report(sections, meta)


def pooled_methods(pooled: Pooled, views: list[View]) -> str:
    """The methods paragraph: how the centres shared, how the pool was computed, then each
    analysis' own methods sentence (once each)."""
    settings = sorted({(f.settings.get("min_cell"), f.time_precision or "as recorded") for f in pooled.files}, key=str)
    shared = "; ".join(f"minimum cell size {m}, times {p}" for m, p in settings)
    parts = [
        f"Each of the {len(pooled.files)} centres shared aggregate counts instead of patient rows ({shared}): per endpoint "
        "the life table (events and censorings per time) of all its patients and of each level of each baseline grouping, "
        "one grouping at a time, best-response counts and patient-characteristics counts; groups below the minimum cell "
        "size were merged or withheld by the centre.",
        pooled_sources(pooled),
        "Log-rank tests on the Survival page are stratified by centre where chosen; the subgroup table's tests are not "
        "stratified, as on patient rows. Between centres: per-centre medians and log-rank based (Peto) hazard ratios with "
        "Cochran's Q and I².",
    ]
    # Sentence by sentence: the survival views of the endpoints share their method sentences and
    # differ only in their median-rule notes (which name their endpoint), so each is said once.
    seen = set(parts)
    for v in views:
        if v.key == "pool":
            continue
        for sentence in SENTENCE_END.split(v.methods.replace(pooled_sources(pooled), "").strip()):
            if sentence and sentence not in seen:
                seen.add(sentence)
                parts.append(sentence)
    return " ".join(parts)


SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])")  # not inside numbers such as 18.8
