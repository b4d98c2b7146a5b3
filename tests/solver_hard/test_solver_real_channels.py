"""minipixi's solver against py-rattler's on the real channel indexes of ../shared/solver-data.

For each set-up (a platform and its channels, see solver_data.py) a fixed set of seeded random
requests (fresh seeds in the ``thorough`` hypothesis profile): both solvers must agree on
whether a request can be solved, both solutions must pass our independent checker, and the two
must be the same records on at least 99.5% of the solvable requests. The counts are printed
(``pytest -s``) so a run tells how close the two are. On the sudoku channel only its two named
requests are compared: py-rattler takes up to 20 s on random ones (tests/solver_hard/
test_sudoku_channel.py proves 50 of those unsolvable with our solver alone).
"""

from __future__ import annotations

import os
import time

import pytest

from minipixi.errors import SolveError
from minipixi.solver import find_violations, solve

import solver_data

pytestmark = pytest.mark.corpus

PER_SETUP = int(os.environ.get("MINIPIXI_SOLVER_PROBLEMS", "0")) or (
    60 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 6)
SEED = int(time.time()) if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 19


@pytest.fixture(scope="session")
def unpacked(tmp_path_factory):
    data = solver_data.find_solver_data()
    if data is None:
        pytest.skip("../shared/solver-data is not present beside this checkout")
    cache = os.environ.get("MINIPIXI_SOLVER_DATA_CACHE")
    return solver_data.unpack(data, __import__("pathlib").Path(cache) if cache else tmp_path_factory.mktemp("solver-data"))


def compare(rattler, setup, unpacked, specs) -> str:
    """"same", "different", or "unsat" (both agree that nothing fits); asserts the rest."""
    theirs = solver_data.rattler_solve(rattler, setup, unpacked, specs)
    task = solver_data.our_task(setup, unpacked, specs)
    try:
        ours = solve(task)
    except SolveError as error:
        assert theirs is None, f"{setup.key} {specs}: rattler solves it, we say\n{error.details}"
        assert error.details
        return "unsat"
    assert theirs is not None, f"{setup.key} {specs}: we solve it, rattler does not"
    virtual = task.virtual_packages
    their_records = [solver_data.from_rattler(r) for r in theirs]
    assert find_violations(ours, specs, virtual_packages=virtual) == [], (setup.key, specs)
    assert find_violations(their_records, specs, virtual_packages=virtual) == [], (setup.key, specs)
    return "same" if solver_data.lines(ours) == solver_data.lines(their_records) else "different"


@pytest.mark.parametrize("key", [s.key for s in solver_data.SETUPS])
def test_random_requests_agree_with_rattler(rattler, unpacked, key):
    setup = solver_data.BY_KEY[key]
    counts = {"same": 0, "different": 0, "unsat": 0}
    differing = []
    if key == "sudoku/noarch":  # random sudoku requests take py-rattler up to 20 s (us: 0.1 s)
        problems = [["sudoku_0_0 ==5", "sudoku_1_0 ==3", "sudoku_4_0 ==7", "sudoku_0_1 ==6", "sudoku_3_1 ==1"],
                    ["sudoku_0_0"]]
    else:
        problems = solver_data.random_problems(setup, unpacked, SEED, PER_SETUP)
    for specs in problems:
        outcome = compare(rattler, setup, unpacked, specs)
        counts[outcome] += 1
        if outcome == "different":
            differing.append(specs)
    print(key, counts, differing)
    for outcome, count in counts.items():
        TOTALS[outcome] = TOTALS.get(outcome, 0) + count
    TOTALS.setdefault("differing", []).extend((key, specs) for specs in differing)


TOTALS: dict = {}  # outcomes over every set-up, for the test below


def test_identical_answers_on_at_least_99_5_percent():
    """Over all set-ups (run after them): the same records as py-rattler on >= 99.5% of the
    solvable requests (the rest are equally valid answers to a tie: both pass the checker)."""
    solved = TOTALS.get("same", 0) + TOTALS.get("different", 0)
    if not solved:
        pytest.skip("no set-up was compared in this run")
    print(TOTALS)
    assert TOTALS.get("different", 0) <= 0.005 * solved, TOTALS.get("differing")
