"""The question a solve answers: specs, where records come from, and what the machine provides.

`SolveTask` bundles the whole question in one value, like rattler's ``SolverTask``: the specs
asked for, the record sources in channel priority order, the virtual packages assumed for the
platform, extra constraints, and locked (preferred) and pinned (may not change) records.

A *record source* is anything with ``records(name) -> Sequence[PackageRecord]``: an in-memory
`RecordIndex`, a lazily parsed channel subdir (`minipixi.channel.fetch.SubdirRepodata`), or a
`MergedSource` that makes a channel's ``linux-64`` and ``noarch`` one priority tier. The solver
only ever asks for the names it meets, so a 300,000-record channel is never read whole.

Read after `solver/__init__.py` (`solve()`); read next `solver/provider.py`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence, runtime_checkable

from minipixi.records import PackageRecord


@runtime_checkable
class RecordSource(Protocol):
    """Where records come from: all records of one name, in any order (none: empty)."""

    def records(self, name: str) -> Sequence[PackageRecord]: ...


class RecordIndex:
    """An in-memory record source: records grouped by name. `label` names it in explanations."""

    def __init__(self, records: Iterable[PackageRecord], label: str | None = None) -> None:
        self._by_name: dict[str, list[PackageRecord]] = defaultdict(list)
        for record in records:
            self._by_name[record.name].append(record)
        self.label = label

    def records(self, name: str) -> Sequence[PackageRecord]:
        return self._by_name.get(name, ())

    def names(self) -> list[str]:
        """Every package name in the index, sorted."""
        return sorted(self._by_name)

    def __repr__(self) -> str:
        return f"RecordIndex({self.label or len(self._by_name)} names)"


class MergedSource:
    """Several sources that share one priority tier (a channel's platform subdir and noarch)."""

    def __init__(self, sources: Sequence[RecordSource], label: str | None = None) -> None:
        self.sources = list(sources)
        self.label = label or " + ".join(source_label(s, i) for i, s in enumerate(sources))

    def records(self, name: str) -> Sequence[PackageRecord]:
        return [record for source in self.sources for record in source.records(name)]


def source_label(source, position: int) -> str:
    """How explanations name a source: its `label` attribute, or its position."""
    return getattr(source, "label", None) or f"source {position + 1}"


# --8<-- [start:SolveTask]
@dataclass
class SolveTask:
    """Everything a solve needs. Specs may be MatchSpecs or their text.

    - `specs`: what must be installed (the manifest's dependencies), most important first:
      the solver decides them in this order, so earlier specs get their best records first.
    - `sources`: record sources in channel priority order, first = highest. With
      ``channel_priority="strict"`` a name found in a higher source hides every record of that
      name in lower ones; ``"flexible"`` keeps them all but prefers every record of a higher
      source to any of a lower one; ``"disabled"`` pools them all.
    - `virtual_packages`: records for ``__glibc``, ``__cuda``... taken as facts about the
      platform (see `minipixi.channel.virtual_packages.default_virtual_packages`).
    - `constraints`: specs that need not be installed, but bind any record of their name.
    - `locked`: records to prefer (an existing lock), when they still fit.
    - `pinned`: records that may not change: if their name is installed, it is this record.
    - `platform` and `label` only word the explanation ("which linux-64 does not provide",
      "environment 'gpu' requires ...").
    - `strategy`: ``highest`` (the default), ``lowest`` (the lowest version of every name) or
      ``lowest-direct`` (lowest for the names `specs` ask for, highest for the rest), as
      rattler's ``SolveStrategy``; build numbers are still preferred highest.
    - `exclude_newer`: a cut-off in milliseconds since the epoch; a record with a later
      ``timestamp`` is left out (one without a timestamp stays, as in rattler).
    """

    specs: list
    sources: list = field(default_factory=list)
    virtual_packages: list[PackageRecord] = field(default_factory=list)
    constraints: list = field(default_factory=list)
    locked: list[PackageRecord] = field(default_factory=list)
    pinned: list[PackageRecord] = field(default_factory=list)
    channel_priority: str = "strict"
    platform: str | None = None
    label: str | None = None
    strategy: str = "highest"
    exclude_newer: int | None = None
# --8<-- [end:SolveTask]
