"""Solving: from specs to one record per package, or a proof that none exists.

A solve answers: given what the manifest asks for (``pytorch-gpu >=2.7``, ``python 3.12.*``),
the channels' records for one platform, and the virtual packages that platform provides, pick
exactly one record per package name such that

- every requested spec is matched,
- every ``depends`` of every picked record is matched by another picked record (or a virtual
  package),
- every ``constrains`` of every picked record holds for any record of that name that is picked,

and, among all such choices, prefer the newest versions of the requested packages, in the
order they were requested. When no choice exists, say why in words.

The package follows resolvelib's split into roles:

- `solver/task.py`: the question (`SolveTask`) and where records come from (`RecordSource`,
  `RecordIndex`, `MergedSource`);
- `solver/provider.py`: candidates, best first, and which of them a spec matches;
- `solver/incompatibility.py` and `solver/partial_solution.py`: the search's vocabulary
  (terms over masks of candidates, incompatibilities) and what it has assumed so far;
- `solver/search.py`: the PubGrub loop (unit propagation, decisions, learning from conflicts),
  with `solver/watches.py` (which facts to look at after a change) and `solver/pigeonhole.py`
  (a counting fact learning alone finds too slowly);
- `solver/report.py`: a failure's proof as plain data (no masks, no provider), which
  `solver/derivation.py` builds from the search's;
- `solver/explain.py`: that proof as sentences, and the hint;
- `solver/check.py`: an independent checker of a solution (the tests' oracle uses it too).

Lesson: Episode 2, "Under the hood: the solver" (the lock-file section links here). Read after
`records.py`, `matchspec.py` and `channel/virtual_packages.py`; read next `solver/task.py`,
then `lock/`. Ground truth:
rattler_solve (``SolverTask``) and resolvo; PubGrub's ``doc/solver.md`` for the algorithm and
the wording of explanations.
"""

from __future__ import annotations

from minipixi.errors import SolveError
from minipixi.records import PackageRecord
from minipixi.solver.check import find_violations
from minipixi.solver.derivation import failure_report
from minipixi.solver.explain import render_explanation, render_hint
from minipixi.solver.incompatibility import Incompatibility
from minipixi.solver.provider import Provider
from minipixi.solver.report import leaves
from minipixi.solver.search import Reporter, Search, Unsolvable
from minipixi.solver.task import MergedSource, RecordIndex, RecordSource, SolveTask

__all__ = [
    "MergedSource",
    "Provider",
    "RecordIndex",
    "RecordSource",
    "Reporter",
    "Search",
    "SolveError",
    "SolveTask",
    "Unsolvable",
    "failure_report",
    "find_violations",
    "render_explanation",
    "solve",
]


# --8<-- [start:solve]
def solve(task: SolveTask, reporter: Reporter | None = None) -> list[PackageRecord]:
    """The records to install for `task`, sorted by name (virtual packages left out).

    Raises SolveError when no set of records fits; its `details` explain why, its `hint` says
    what to change, and `report` (a `report.Failure`) / `causes` keep the proof as data.
    """
    provider = Provider(task)
    search = Search(provider, reporter)
    try:
        chosen = search.run()
    except Unsolvable as failure:
        raise unsolvable_error(provider, failure.incompatibility) from None
    return sorted(
        (record for name, record in chosen.items() if not name.startswith("__")),
        key=lambda record: record.name,
    )
# --8<-- [end:solve]


def unsolvable_error(provider: Provider, root: Incompatibility) -> SolveError:
    """A SolveError that carries the proof (as data: masks stay in the search), its explanation
    and the fix."""
    task = provider.task
    where = " ".join(part for part in (task.label, f"for {task.platform}" if task.platform else None) if part)
    failure = failure_report(provider, root)
    error = SolveError(
        f"cannot solve {where or 'the specs'}: no set of records satisfies all requirements",
        details=render_explanation(failure),
        hint=render_hint(failure),
    )
    error.report = failure
    error.causes = [leaf.cause for leaf in leaves(failure.root)]
    return error
