"""A failed solve is handed over as plain data, and the explanation is written from that alone.

The search works on masks over a provider's candidates; `solver/derivation.py` turns its proof
into `solver/report.py` values, and `solver/explain.py` reads only those. These tests pin the
separation: the report holds no masks and no live objects, it survives a pickle round trip
with the same words, and explain.py does not import the search or the provider.
"""

from __future__ import annotations

import ast
import dataclasses
import pickle
from pathlib import Path

import pytest

from minipixi.channel.virtual_packages import default_virtual_packages
from minipixi.errors import SolveError
from minipixi.records import PackageRecord
from minipixi.solver import RecordIndex, SolveTask, solve
from minipixi.solver import report
from minipixi.solver.explain import render_explanation, render_hint

EXPLAIN = Path(report.__file__).with_name("explain.py")


def rec(name, version, build="0", depends=(), constrains=()):
    return PackageRecord(name=name, version=version, build=build, depends=tuple(depends),
                         constrains=tuple(constrains), subdir="linux-64",
                         fn=f"{name}-{version}-{build}.conda")


CASES = {
    "missing-cuda": (["pytorch-gpu >=2.7"], [rec("pytorch-gpu", "2.7.0", "cuda126_0", ["pytorch 2.7.0 cuda*"]),
                                             rec("pytorch", "2.7.0", "cuda126_1", ["__cuda >=12"])]),
    "chain": (["a", "b >=2"], [rec("a", "1", depends=["c 1.*"]), rec("a", "2", depends=["c 1.*"]),
                               rec("b", "2", depends=["d >=3"]), rec("b", "3", depends=["d >=3"]),
                               rec("d", "3", depends=["c >=2"]), rec("c", "1"), rec("c", "2")]),
    "disjoint": (["x", "y"], [rec("x", "1", depends=["m 1.*"]), rec("y", "1", depends=["m 2.*"]),
                              rec("m", "1"), rec("m", "2")]),
    "unavailable": (["s"], [rec("s", "40.0.0", depends=["python >=2.7,<2.8.0a0"]), rec("python", "3.12.1")]),
}


def failure_of(case: str) -> SolveError:
    specs, records = CASES[case]
    task = SolveTask(specs=specs, sources=[RecordIndex(records, label="conda-forge")],
                     virtual_packages=default_virtual_packages("linux-64"), platform="linux-64")
    with pytest.raises(SolveError) as caught:
        solve(task)
    return caught.value


PLAIN = (str, int, bool, type(None))


def _walk(value, path="report", seen=None):
    """Every value reachable from `value`, with where it was found; dataclasses, tuples and
    dicts are opened, and anything else must be plain text, a number, a bool or None."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    yield path, value
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name), f"{path}.{field.name}", seen)
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]", seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key, f"{path} key", seen)
            yield from _walk(item, f"{path}[{key!r}]", seen)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_report_is_plain_data_with_no_masks(case):
    failure = failure_of(case).report
    assert isinstance(failure, report.Failure)
    for path, value in _walk(failure):
        if dataclasses.is_dataclass(value):
            assert type(value).__module__ == "minipixi.solver.report", f"{path} is a {type(value)}"
        else:
            assert isinstance(value, (*PLAIN, tuple, list, dict)), f"{path} is a {type(value).__name__}"
    terms = [t for _, v in _walk(failure) if isinstance(v, report.Fact) for t in v.terms]
    assert terms and all(all(isinstance(b, report.Build) for b in t.builds) for t in terms)
    ints = {path.rsplit(".", 1)[-1] for path, value in _walk(failure) if type(value) is int}
    assert ints <= {"rank"}, f"numbers other than a build's rank: {ints}"  # no mask anywhere


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_explanation_is_written_from_the_report_alone(case):
    error = failure_of(case)
    copy = pickle.loads(pickle.dumps(error.report))  # no provider, no search came along
    assert render_explanation(copy) == error.details
    assert render_hint(copy) == error.hint
    assert [type(leaf.cause).__name__ for leaf in report.leaves(copy.root)] == [
        type(cause).__name__ for cause in error.causes]


def test_the_shortcuts_are_data_too():
    assert isinstance(failure_of("disjoint").report.shortcut, report.Disjoint)
    unavailable = failure_of("unavailable")
    assert isinstance(unavailable.report.shortcut, report.Unavailable)
    assert unavailable.details.startswith("s 40.0.0 needs python 2.7, and none is available")


def test_explain_does_not_import_the_search_or_the_provider():
    tree = ast.parse(EXPLAIN.read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    solver_modules = {name for name in imported if name and name.startswith("minipixi.solver")}
    assert solver_modules == {"minipixi.solver.report"}, solver_modules
