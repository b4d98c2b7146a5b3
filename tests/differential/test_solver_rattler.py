"""Our solver against py-rattler's (resolvo) on the same repodata, specs and virtual packages.

Inputs are the corpus's real locks (see tests/solver_inputs.py): every conda record of every
lock pooled into per-(channel, subdir) repodata. Both solvers must agree on whether each
(environment, platform) can be solved, and on the versions of the requested packages; rattler's
solutions are also run through our independent checker, so a disagreement shows who is wrong.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from minipixi.errors import SolveError

rattler_exceptions = pytest.importorskip("rattler.exceptions")
SolverError = rattler_exceptions.SolverError
from minipixi.records import PackageRecord
from minipixi.solver import RecordIndex, SolveTask, find_violations, solve

from solver_inputs import lock_problems, pooled_records, solve_task, write_repodata

pytestmark = pytest.mark.corpus


def rattler_virtual(rattler, records):
    return [rattler.GenericVirtualPackage(rattler.PackageName(r.name), rattler.Version(r.version), rattler.BuildString(r.build))
            for r in records]


def rattler_solve(rattler, specs, sparse, virtual, **options):
    result = rattler.solve_with_sparse_repodata(
        specs=[str(s) for s in specs], sparse_repodata=sparse,
        virtual_packages=rattler_virtual(rattler, virtual), **options)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result


def from_rattler(record) -> PackageRecord:
    """A py-rattler RepoDataRecord as our PackageRecord (via its repodata JSON)."""
    data = json.loads(record.to_json()) if hasattr(record, "to_json") else None
    if data is None:
        return PackageRecord(record.name.normalized, str(record.version), record.build,
                             build_number=record.build_number, depends=tuple(record.depends),
                             constrains=tuple(record.constrains))
    return PackageRecord.from_repodata(record.file_name, data)


@pytest.fixture(scope="module")
def pooled(corpus_dir):
    return pooled_records(corpus_dir)


@pytest.fixture(scope="module")
def sparse_by_key(rattler, pooled, tmp_path_factory):
    folder = tmp_path_factory.mktemp("repodata")
    sparse = {}
    for (url, subdir), records in pooled.items():
        path = write_repodata(records, folder / url.split("/")[-2] / subdir / "repodata.json", subdir)
        sparse[(url, subdir)] = rattler.SparseRepoData(rattler.Channel(url), subdir, path)
    return sparse


def problems(corpus_dir):
    return lock_problems(corpus_dir)


def test_both_solvers_agree_on_every_corpus_lock(corpus_dir, rattler, pooled, sparse_by_key):
    checked = 0
    for problem in lock_problems(corpus_dir):
        sparse = [sparse_by_key[(url, subdir)] for url in problem.channels
                  for subdir in (problem.subdir, "noarch") if (url, subdir) in sparse_by_key]
        try:
            theirs = [from_rattler(r) for r in rattler_solve(rattler, problem.specs, sparse, problem.virtual_packages)]
        except SolverError:
            theirs = None
        try:
            ours = solve(solve_task(problem, pooled))
        except SolveError:
            ours = None
        assert (ours is None) == (theirs is None), problem.id
        if ours is None:
            continue
        assert find_violations(theirs, problem.specs, virtual_packages=problem.virtual_packages) == [], problem.id
        assert find_violations(ours, problem.specs, virtual_packages=problem.virtual_packages) == [], problem.id
        requested = {s.name for s in problem.specs}
        mine = {r.name: r.version for r in ours if r.name in requested}
        their = {r.name: r.version for r in theirs if r.name in requested}
        assert mine == their, problem.id
        checked += 1
    assert checked >= 30


def test_dummy_channel_cases_agree(corpus_dir, rattler, tmp_path):
    """rattler's own test channel: our answers equal the ones its tests assert."""
    data = json.loads((corpus_dir / "data" / "repodata" / "rattler__dummy-linux-64.json").read_text())
    records = [PackageRecord.from_repodata(fn, entry, subdir="linux-64")
               for key in ("packages", "packages.conda") for fn, entry in data[key].items()]
    cases = json.loads((corpus_dir / "data" / "rattler_dummy_solver_cases.json").read_text())["cases"]
    for case in cases:
        virtual = [PackageRecord(*v.split("=")) for v in case["virtual_packages"]]
        task = SolveTask(specs=case["specs"], sources=[RecordIndex(records)], virtual_packages=virtual)
        if case["locked"]:
            pinned = [r for r in records if (r.name, r.version, r.build) == ("bors", "1.0", "bla_1")]
            task.pinned = pinned[:1]
        expected = case["expected"]
        if "error" in expected:
            with pytest.raises(SolveError):
                solve(task)
            continue
        solution = solve(task)
        assert [r.fn for r in solution] == expected["records"], case["test"]
        if "version" in expected:
            assert solution[0].version == expected["version"]


TEACHING = Path(__file__).resolve().parents[2] / "minipixi" / "teaching" / "mirror" / "channel"


@pytest.mark.parametrize("specs, cuda", [
    (["numpy"], None), (["pytorch"], None), (["pytorch"], "12"), (["torchvision"], None),
    (["jupyterlab"], None), (["pytorch-cpu"], None), (["pytorch-gpu", "cuda-version 12.9.*"], "12"),
    (["python 3.12.*", "numpy <2", "pytorch"], None),
])
def test_teaching_channel_solutions_are_identical(rattler, specs, cuda):
    """The lesson's channel: the same records as py-rattler, not just the same versions."""
    if not (TEACHING / "linux-64" / "repodata.json").is_file():
        pytest.skip("the teaching channel is not built")
    from minipixi.channel.repodata import SubdirRepodata
    from minipixi.solver import MergedSource
    from minipixi.channel.virtual_packages import default_virtual_packages

    virtual = default_virtual_packages("linux-64", cuda=cuda)
    url = TEACHING.resolve().as_uri() + "/"
    subdirs = ("linux-64", "noarch")
    ours = solve(SolveTask(specs=specs, virtual_packages=virtual, sources=[MergedSource(
        [SubdirRepodata.read(TEACHING / sd / "repodata.json", channel=url, subdir=sd) for sd in subdirs])]))
    sparse = [rattler.SparseRepoData(rattler.Channel(url), sd, str(TEACHING / sd / "repodata.json")) for sd in subdirs]
    theirs = rattler_solve(rattler, specs, sparse, virtual)
    assert sorted(f"{r.name} {r.version} {r.build}" for r in ours) == sorted(
        f"{r.name.normalized} {r.version} {r.build}" for r in theirs)
