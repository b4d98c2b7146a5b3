"""The solver on real data: every conda-only lock of the corpus, solved again from its manifest.

The repodata is every conda record of every corpus lock, pooled per (channel, subdir) (see
tests/solver_inputs.py). For each (environment, platform) of each conda-only lock, with the
virtual packages its system requirements / platform entries declare:

- the solve succeeds and the solution is valid against every depends and constrains;
- with the lock's own records as *locked* (preferred), the solver gives back exactly the lock;
- without its declared CUDA, the GPU environment fails with the lesson's explanation.
"""

from __future__ import annotations

import pytest

from minipixi.errors import SolveError
from minipixi.solver import find_violations, solve

from solver_inputs import lock_problems, pooled_records, solve_task

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def pooled(corpus_dir):
    return pooled_records(corpus_dir)


@pytest.fixture(scope="module")
def problems(corpus_dir):
    found = lock_problems(corpus_dir)
    assert len(found) >= 30  # 7 conda-only locks, several environments and platforms each
    return found


def lines(records):
    return sorted(f"{r.name} {r.version} {r.build}" for r in records)


def test_every_corpus_environment_solves_validly(problems, pooled):
    for problem in problems:
        solution = solve(solve_task(problem, pooled))
        assert find_violations(solution, problem.specs, virtual_packages=problem.virtual_packages) == [], problem.id
        assert not any(r.name.startswith("__") for r in solution)


def test_locked_records_give_back_the_lock(problems, pooled):
    for problem in problems:
        task = solve_task(problem, pooled)
        task.locked = problem.locked
        assert lines(solve(task)) == lines(problem.locked), problem.id


def test_gpu_environment_without_cuda_is_explained(problems, pooled):
    problem = next(p for p in problems if p.lock == "matthewfeickert__nvidia-gpu-ml-library-test"
                   and p.environment == "gpu" and p.subdir == "linux-64")
    assert "__cuda" in [v.name for v in problem.virtual_packages]  # [feature.gpu.system-requirements]
    task = solve_task(problem, pooled)
    task.virtual_packages = [v for v in task.virtual_packages if v.name != "__cuda"]
    with pytest.raises(SolveError) as caught:
        solve(task)
    error = caught.value
    assert "depends on __cuda, which linux-64 does not provide here" in error.details
    assert "environment 'gpu' requires pytorch-gpu >=2.7.1,<3" in error.details
    assert 'add cuda = "12"' in error.hint and "CONDA_OVERRIDE_CUDA=12" in error.hint


def test_pytorch_without_cuda_falls_back_to_a_cpu_build(problems, pooled):
    """The lesson's silent trap: `pytorch` (not pytorch-gpu) still solves without CUDA, on CPU.

    conda-forge gives CUDA builds higher build numbers (304 against 103 for pytorch 2.7.1), so
    they win whenever __cuda is there; without it they are skipped without a word.
    """
    problem = next(p for p in problems if p.lock == "matthewfeickert__pytorch-gpu-pixi-example"
                   and p.subdir == "linux-64")
    task = solve_task(problem, pooled)
    task.specs = ["pytorch ==2.7.1"]  # the version of the pool that has both kinds of build
    with_cuda = {r.name: r for r in solve(task)}
    task.virtual_packages = [v for v in task.virtual_packages if v.name != "__cuda"]
    without = {r.name: r for r in solve(task)}
    assert with_cuda["pytorch"].build.startswith("cuda") and "__cuda" in with_cuda["pytorch"].depends
    assert without["pytorch"].build.startswith("cpu")
    assert without["pytorch"].build_number < with_cuda["pytorch"].build_number
