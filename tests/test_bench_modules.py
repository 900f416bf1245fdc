"""Every benchmark module `make bench` runs can at least be imported: a module-level call that
no longer matches the core's API (bench/report.py built ReportOptions with a keyword the one-view
redesign removed) fails here instead of in the middle of a benchmark run."""

import importlib
import pkgutil

import pytest

import bench

MODULES = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def test_bench_has_its_modules():
    assert {"browser", "report", "subgroups", "survival", "hostile", "load"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_bench_module_imports(name):
    module = importlib.import_module(f"bench.{name}")
    assert callable(module.main)
