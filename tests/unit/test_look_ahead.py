"""The solver's look-ahead (solver/provider.py, `Provider.spec_reach`) is one step deep, and
reading a dependency's versions gives the same reach as reading its sorted records."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from minipixi.records import PackageRecord
from minipixi.solver import RecordIndex, SolveTask
from minipixi.solver.provider import Provider, as_spec

STAMP = itertools.count(1)


def rec(name, version, build="0", *, depends=(), build_number=0, features=()):
    return PackageRecord(name, version, build, build_number=build_number, depends=tuple(depends),
                         track_features=tuple(features), timestamp=next(STAMP),
                         fn=f"{name}-{version}-{build}.conda", subdir="linux-64")


def provider(records, **task) -> Provider:
    return Provider(SolveTask(specs=task.pop("specs", []), sources=[RecordIndex(records)], **task))


def test_sorting_a_name_does_not_sort_what_it_depends_on():
    records = [rec("app", "1", "a", depends=["lib >=1"]), rec("app", "1", "b", depends=["lib >=2"]),
               rec("lib", "1", "x", depends=["deep"]), rec("lib", "2", "x", depends=["deep"]),
               rec("lib", "2", "y", depends=["deep 2"]), rec("deep", "1"), rec("deep", "2")]
    p = provider(records)
    assert [r.build for r in p.candidates("app").records] == ["b", "a"]  # both reach lib 2: newest first
    assert "lib" not in p._candidates and "deep" not in p._candidates  # neither was sorted


def test_a_dependency_that_reaches_a_newer_version_wins_the_tie():
    records = [rec("app", "1", "old", depends=["lib <2"]), rec("app", "1", "new", depends=["lib"]),
               rec("lib", "1"), rec("lib", "2")]
    assert [r.build for r in provider(records).candidates("app").records] == ["new", "old"]


versions = st.sampled_from(["1.0", "1.0.0", "1.1", "2.0", "2.0a1", "3"])
specs = st.sampled_from(["lib", "lib >=1.1", "lib <2", "lib 1.0.*", "lib ==1.0", "lib >=4",
                         "lib * b*", "lib 2.0 a*", "lib >1,<3"])


@given(libs=st.lists(st.tuples(versions, st.sampled_from(["a0", "b1", "a2"]), st.booleans()), min_size=1,
                     max_size=8),
       spec=specs, strategy=st.sampled_from(["highest", "lowest", "lowest-direct"]))
def test_reading_versions_reaches_what_the_sorted_records_reach(libs, spec, strategy):
    records = [rec("lib", version, build, features=("mkl",) if tracked else ()) for version, build, tracked in libs]
    p = provider(records, strategy=strategy)
    by_versions = p._reach_by_versions(as_spec(spec), strategy == "lowest")
    reach = p._reach_lowest if strategy == "lowest" else p._reach
    assert by_versions == reach(p.candidates("lib"), p.matches(spec))
