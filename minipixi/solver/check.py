"""Checking a solution without trusting the solver: the rules of a valid environment, spelled out.

`find_violations` knows nothing of the search. It takes the records a solve returned and lists
every broken rule in words. The tests run it on every solution (ours and rattler's), and the
brute-force oracle uses it to enumerate valid environments: the slow, obvious version kept "to
give us something to test more complicated solutions against" (sdxpy).
"""

from __future__ import annotations

from typing import Iterable

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
    problems = []
    where = f"{record.name} {record.version} ({record.build})"
    for text in record.depends:
        spec = as_spec(text)
        if not any(spec.matches(r) for r in present.get(spec.name, [])):
            problems.append(f"{where} depends on {text}, which nothing matches")
    for text in record.constrains:
        spec = as_spec(text)
        for other in present.get(spec.name, []):
            if not spec.matches(other):
                problems.append(f"{where} constrains {text}, but {other.name} {other.version} is present")
    return problems
