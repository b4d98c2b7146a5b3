"""Checking a solution without trusting the solver: the rules of a valid environment, spelled out.

`find_violations` knows nothing of the search. It takes the records a solve returned and lists
every broken rule in words. The tests run it on every solution (ours and rattler's), and the
brute-force oracle uses it to enumerate valid environments: the slow, obvious version kept "to
give us something to test more complicated solutions against" (sdxpy).

`unmet_dependencies` is the one rule for a record's own ``depends`` and ``constrains``, as data;
the up-to-date check of a lock file (`lock/satisfiability.py`) phrases the same findings its own
way.

Read after `solver/explain.py`; read next `lock/` (a solve's records become a lock file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from minipixi.records import PackageRecord
from minipixi.solver.provider import as_spec


# --8<-- [start:find_violations]
def find_violations(
    records: Iterable[PackageRecord],
    specs: Iterable,
    *,
    virtual_packages: Iterable[PackageRecord] = (),
    constraints: Iterable = (),
) -> list[str]:
    """Every rule `records` break, as sentences; an empty list means the solution is valid.

    Rules: one record per name; each spec matched; each ``depends`` of each record matched by
    a record or virtual package; each ``constrains`` (and each constraint) met by any record of
    its name that is present.
    """
    records = list(records)
    present: dict[str, list[PackageRecord]] = {}
    for record in [*records, *virtual_packages]:
        present.setdefault(record.name, []).append(record)
    problems = [f"{name} appears {len(found)} times" for name, found in present.items() if len(found) > 1]
    for spec in map(as_spec, specs):
        if not any(spec.matches(r) for r in present.get(spec.name, [])):
            problems.append(f"nothing matches the requested {spec}")
    for record in records:
        problems += _record_violations(record, present)
    for spec in map(as_spec, constraints):
        problems += [f"{r.name} {r.version} breaks the constraint {spec}"
                     for r in present.get(spec.name, []) if not spec.matches(r)]
    return problems
# --8<-- [end:find_violations]


def _record_violations(record: PackageRecord, present: dict[str, list[PackageRecord]]) -> list[str]:
    where = f"{record.name} {record.version} ({record.build})"
    return [f"{where} depends on {u.spec}, which nothing matches" if u.kind == "depends" else
            f"{where} constrains {u.spec}, but {u.found.name} {u.found.version} is present"
            for u in unmet_dependencies(record, present)]


@dataclass(frozen=True)
class Unmet:
    """One of a record's own rules that the records present break.

    `kind` is "depends" (nothing present matches `spec`; `found` is the present record of that
    name, None when there is none) or "constrains" (`found` is present and `spec` refuses it).
    """

    record: PackageRecord
    kind: str
    spec: str
    found: PackageRecord | None


def unmet_dependencies(record: PackageRecord, present: Mapping[str, Sequence[PackageRecord]], *,
                       skip_virtual: bool = False) -> list[Unmet]:
    """The ``depends`` of `record` that no present record matches, then the ``constrains`` that a
    present record breaks (`present`: records by name). `skip_virtual` leaves out dependencies on
    virtual packages (``__cuda``...), which are the machine's business, not the records'."""
    unmet = []
    for text in record.depends:
        spec = as_spec(text)
        if skip_virtual and spec.name.startswith("__"):
            continue
        candidates = present.get(spec.name, ())
        if not any(spec.matches(r) for r in candidates):
            unmet.append(Unmet(record, "depends", text, candidates[0] if candidates else None))
    for text in record.constrains:
        spec = as_spec(text)
        unmet += [Unmet(record, "constrains", text, other)
                  for other in present.get(spec.name, ()) if not spec.matches(other)]
    return unmet
