"""The sudoku channel (../shared/solver-data/sudoku: a real anaconda.org channel whose packages
encode a sudoku with miswired boxes, so that no request can be solved).

Every request must be proved unsolvable quickly and explained shortly, root cause first: the
pigeonhole fact (ten cells that must all differ, nine values). Speed is measured in
bench/solve.py; here the number of conflicts the search meets stands in for it (a hang would
mean tens of thousands).
"""

from __future__ import annotations

import pytest

from minipixi.errors import SolveError
from minipixi.solver import Provider, Search, Unsolvable, failure_report, render_explanation

import solver_data

pytestmark = pytest.mark.corpus

NAMED = [
    ["sudoku_0_0 ==5", "sudoku_1_0 ==3", "sudoku_4_0 ==7", "sudoku_0_1 ==6", "sudoku_3_1 ==1"],
    ["sudoku_0_0"],
]
MAX_CONFLICTS = 400


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    data = solver_data.find_solver_data()
    if data is None:
        pytest.skip("../shared/solver-data is not present beside this checkout")
    return solver_data.unpack_one(data, "sudoku", tmp_path_factory.mktemp("sudoku"))


def prove(unpacked, specs):
    task = solver_data.our_task(solver_data.BY_KEY["sudoku/noarch"], unpacked, specs)
    search = Search(Provider(task))
    with pytest.raises(Unsolvable) as caught:
        search.run()
    return search, render_explanation(failure_report(search.provider, caught.value.incompatibility))


@pytest.mark.parametrize("specs", NAMED, ids=["five-givens", "one-cell"])
def test_named_problems_are_proved_unsolvable_and_explained(unpacked, specs):
    search, text = prove(unpacked, specs)
    assert search.conflict_count < MAX_CONFLICTS
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Because sudoku_") and lines[0].endswith(
        "(10 packages) each depend on all the others having another version, and they have only 9 versions "
        "between them (1 to 9), they cannot all be installed.")
    assert lines[-1].startswith("So, because the request requires ") and lines[-1].endswith(", solving for linux-64 failed.")


def test_fifty_random_requests_are_proved_unsolvable(unpacked):
    setup = solver_data.BY_KEY["sudoku/noarch"]
    for specs in solver_data.random_problems(setup, unpacked, 19, 50):
        search, text = prove(unpacked, specs)
        assert search.conflict_count < MAX_CONFLICTS, specs
        assert 1 <= len(text.splitlines()) <= 8, (specs, text)


def test_solve_raises_a_solve_error(unpacked):
    from minipixi.solver import solve

    with pytest.raises(SolveError) as caught:
        solve(solver_data.our_task(solver_data.BY_KEY["sudoku/noarch"], unpacked, NAMED[0]))
    assert "they cannot all be installed" in caught.value.details
