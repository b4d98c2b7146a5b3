"""Small hard instances against the brute-force oracle of tests/property/test_solver_oracle.py.

Random graphs coloured with package versions: each node is a package whose versions are its
colours, and each version depends on every neighbour being installed with another version
(``b !=2``): sudoku and pigeonhole problems are such graphs. Most are unsolvable, and proving
it needs the search's learning and backjumping; some are solvable only one way. The solver
must agree with brute force on whether a solution exists, and on the best one.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import given, settings, strategies as st

from minipixi.records import PackageRecord

_ORACLE = Path(__file__).resolve().parents[1] / "property" / "test_solver_oracle.py"
_spec = importlib.util.spec_from_file_location("minipixi_solver_oracle", _ORACLE)
oracle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oracle)


def colouring_channel(nodes: int, colours: int, edges: list[tuple[int, int]]) -> list[PackageRecord]:
    """Package n<i> in versions 1..colours; n<i>=c depends on "n<j> !=c" for each neighbour j."""
    neighbours: dict[int, set[int]] = {i: set() for i in range(nodes)}
    for a, b in edges:
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    return [PackageRecord(f"n{i}", str(c), "0", depends=tuple(f"n{j} !={c}" for j in sorted(neighbours[i])),
                          timestamp=1)
            for i in range(nodes) for c in range(1, colours + 1)]


@st.composite
def colouring_problems(draw):
    nodes = draw(st.integers(3, 5))
    colours = draw(st.integers(2, 3))
    pairs = [(a, b) for a in range(nodes) for b in range(a + 1, nodes)]
    edges = draw(st.lists(st.sampled_from(pairs), min_size=nodes - 1, max_size=len(pairs), unique=True))
    records = colouring_channel(nodes, colours, edges)
    specs = [f"n{draw(st.integers(0, nodes - 1))}"]
    for _ in range(draw(st.integers(0, 2))):
        specs.append(f"n{draw(st.integers(0, nodes - 1))} =={draw(st.integers(1, colours))}")
    return records, specs


@settings(max_examples=100)
@given(colouring_problems())
def test_colourings_agree_with_brute_force(problem):
    records, specs = problem
    oracle.check_against_oracle(records, specs)


def test_pigeonhole_is_proved_unsolvable():
    """Four pigeons (all connected), three holes: no solution, and the proof is found."""
    edges = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    assert oracle.check_against_oracle(colouring_channel(4, 3, edges), ["n0"]) is None


def test_pigeonhole_explanation_leads_with_the_counting():
    import pytest

    from minipixi.errors import SolveError
    from minipixi.solver import RecordIndex, SolveTask, solve

    edges = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    with pytest.raises(SolveError) as caught:
        solve(SolveTask(specs=["n0"], sources=[RecordIndex(colouring_channel(4, 3, edges))]))
    first = caught.value.details.splitlines()[0]
    assert first == ("Because n0, n1, n2, n3 (4 packages) each depend on all the others having another version, "
                     "and they have only 3 versions between them (1 | 2 | 3), they cannot all be installed.")
