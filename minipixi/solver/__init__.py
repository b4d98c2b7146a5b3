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

from minipixi.errors import MatchSpecError, SolveError
from minipixi.records import PackageRecord
from minipixi.solver.incompatibility import Incompatibility
from minipixi.solver.provider import Provider, as_spec
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
    fetch_ahead(task)
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


def fetch_ahead(task: SolveTask) -> None:
    """Tell each source that downloads on demand (a channel read through its shards,
    `channel/load.py`'s ``prefetch``) every requested name at once, before the search meets
    them one by one: the shards they reach then come in one breadth-first walk, not one walk
    per name. The other sources have all their records already."""
    names = []
    for spec in task.specs:
        try:
            names.append(as_spec(spec).name)
        except MatchSpecError:
            pass  # the search reports it, in its own words
    for source in task.sources:
        prefetch = getattr(source, "prefetch", None)
        if prefetch is not None:
            prefetch(names)


def unsolvable_error(provider: Provider, root: Incompatibility) -> SolveError:
    """A SolveError that carries the proof (as data: masks stay in the search), its explanation
    and the fix."""
    from minipixi.solver.derivation import failure_report  # lazy: only a failed solve explains itself
    from minipixi.solver.explain import render_explanation, render_hint  # lazy: likewise

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


def __getattr__(name: str):
    """`failure_report`, `find_violations`, `render_explanation` and `render_hint`, imported on
    first use (PEP 562): a solve that succeeds needs none of them, and a cold command pays
    for every module it imports."""
    if name == "find_violations":
        from minipixi.solver.check import find_violations  # lazy: the tests' checker, not a solve's
        return find_violations
    if name == "failure_report":
        from minipixi.solver.derivation import failure_report  # lazy: only a failed solve explains itself
        return failure_report
    if name in ("render_explanation", "render_hint"):
        from minipixi.solver import explain  # lazy: only a failed solve explains itself
        return getattr(explain, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
