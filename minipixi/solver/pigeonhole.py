"""Pigeonhole facts: packages that must all differ, with too few versions between them.

Some channels tie packages together with dependencies like ``b !=3`` on every record of ``a``
version 3: "whatever version a has, b must have another". A sudoku written as packages is made
of nothing else (each cell depends on its row, column and box having other values). Ten such
packages that are all tied to one another, with nine versions between them, cannot all be
installed: by the pigeonhole principle two would share a version. The search could find that
out by itself, but only by trying a number of combinations that grows exponentially with the
number of packages (no proof by resolution, which is what learning from conflicts builds, is
short for the pigeonhole principle). So the solver recognises the pattern and states the
counting argument as one fact, which also makes a short explanation.

`different_from(provider, name)`: the names that every record of `name` requires to have
another version. `crowded_clique(graph, name, versions, budget)`: a set of mutually tied
names, including `name`, with more members than versions between them (or None). The search
for it is bounded: it is a shortcut, and must never cost more than it saves.

Read after `solver/watches.py` and `solver/search.py`, which calls these when it first decides
a name; read next `solver/report.py`.
"""

from __future__ import annotations

from minipixi.solver.provider import Provider


def different_from(provider: Provider, name: str) -> set[str]:
    """Names ``b`` such that each record of `name`, of version v, depends on ``b !=v``."""
    groups = provider.depends_groups(name)
    if not any("!=" in text for text in groups):
        return set()
    records = provider.candidates(name).records
    by_version: dict[str, int] = {}
    for i, record in enumerate(records):
        by_version[record.version] = by_version.get(record.version, 0) | (1 << i)
    covered: dict[str, set[str]] = {}
    for text, mask in groups.items():
        parts = text.split()
        if len(parts) == 2 and parts[1].startswith("!=") and by_version.get(parts[1][2:]) == mask:
            covered.setdefault(parts[0], set()).add(parts[1][2:])
    return {target for target, versions in covered.items() if versions == set(by_version) and target != name}


# --8<-- [start:clique]
def crowded_clique(graph: dict[str, set[str]], name: str, versions, budget: list[int]) -> list[str] | None:
    """A clique of `graph` containing `name` with more members than distinct versions among
    them (`versions(names)` counts them), found by Bron-Kerbosch with pivoting; None if there is
    none, or if the search spends its `budget` of steps (``budget[0]``, shared between calls)."""
    found = None

    def extend(clique: list[str], candidates: set[str], excluded: set[str]) -> bool:
        nonlocal found
        budget[0] -= 1
        if budget[0] < 0:
            return True
        if len(clique) > versions(clique):
            found = list(clique)
            return True
        if not candidates and not excluded:
            return False
        if len(clique) + len(candidates) <= versions(clique + sorted(candidates)):
            return False  # even all of them would not be too many
        pivot = max(sorted(candidates | excluded), key=lambda n: len(graph.get(n, ()) & candidates))
        for other in sorted(candidates - graph.get(pivot, set())):
            if extend(clique + [other], candidates & graph.get(other, set()), excluded & graph.get(other, set())):
                return True
            candidates = candidates - {other}
            excluded = excluded | {other}
        return False

    extend([name], set(graph.get(name, ())), set())
    return found
# --8<-- [end:clique]
