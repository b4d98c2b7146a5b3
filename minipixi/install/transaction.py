"""The transaction: what must change to turn the prefix that is into the prefix that is wanted.

Stage 2 of an install (`install/install.py`). The installed records (`install/prefix_records.py`)
and the wanted ones (a solve, or a lock file) are compared name by name, giving one operation
per package that changes: "install", "change" (another build), "reinstall" (the same build,
linked again), "remove". Nothing is touched here: a `Transaction` is a plan, shown to the user
before it is carried out (and empty when the prefix is already right).

Two rules decide "the same build": the same ``name-version-build`` and, where both sides know
them, the same archive digests (a package rebuilt under the same name has new bytes). And a
`noarch: python` package is reinstalled when python's minor version changes, because its files
live under lib/pythonX.Y: `PythonInfo` is the little that such packages need to know.

Lesson: Episode 4, "The record an installer leaves". Read after `install/prefix_records.py`;
read next `install/link.py`. Ground truth: rattler `install/transaction.rs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from minipixi.files import check_relative
from minipixi.install.package_cache import record_source, same_digests
from minipixi.install.prefix_records import PrefixRecord
from minipixi.records import PackageRecord


@dataclass(frozen=True)
class Operation:
    """One step of a transaction. "install" has only `new`, "remove" only `old`; "change"
    and "reinstall" have both (reinstall: the same build, linked again)."""

    kind: str
    old: PrefixRecord | None = None
    new: PackageRecord | None = None

    @property
    def name(self) -> str:
        return (self.new or self.old.record).name


@dataclass(frozen=True)
class Transaction:
    """The difference between a prefix and the wanted records: removals first, then links."""

    operations: tuple[Operation, ...]
    python: PythonInfo | None = None

    @property
    def to_unlink(self) -> list[PrefixRecord]:
        return [op.old for op in self.operations if op.old is not None]

    @property
    def to_link(self) -> list[PackageRecord]:
        return [op.new for op in self.operations if op.new is not None]

    def __bool__(self) -> bool:
        return bool(self.operations)


def same_build(installed: PackageRecord, wanted: PackageRecord) -> bool:
    """Whether an installed record is the wanted build: same name-version-build and, where
    both sides know them, the same archive digests (a rebuilt package has new bytes)."""
    if installed.dist_name != wanted.dist_name:
        return False
    return same_digests({"sha256": installed.sha256, "md5": installed.md5},
                         {"sha256": wanted.sha256, "md5": wanted.md5})


# --8<-- [start:plan]
def plan_transaction(installed: Mapping[str, PrefixRecord], wanted: Sequence[PackageRecord], *,
                     reinstall: Iterable[str] = ()) -> Transaction:
    """Compare installed and wanted records, name by name, into a Transaction.

    A `noarch: python` package is reinstalled when python's minor version changes, because its
    files live under `lib/pythonX.Y/`. Operations are sorted by package name.
    """
    reinstall = set(reinstall)
    new_python = PythonInfo.from_records(wanted)
    old_python = PythonInfo.from_records([p.record for p in installed.values()])
    if new_python != old_python:
        reinstall |= {r.name for r in wanted if r.noarch == "python"}
    wanted_by_name = {r.name: r for r in wanted}
    ops = [Operation("remove", old=installed[n]) for n in installed if n not in wanted_by_name]
    for name, new in wanted_by_name.items():
        old = installed.get(name)
        if old is None:
            ops.append(Operation("install", new=new))
        elif not same_build(old.record, new):
            ops.append(Operation("change", old=old, new=new))
        elif name in reinstall:
            ops.append(Operation("reinstall", old=old, new=new))
    return Transaction(tuple(sorted(ops, key=lambda op: op.name)), new_python)
# --8<-- [end:plan]


@dataclass(frozen=True)
class PythonInfo:
    """The environment's python, as far as `noarch: python` packages care."""

    short_version: str  # "3.12"
    site_packages: str  # "lib/python3.12/site-packages"

    @classmethod
    def from_records(cls, records: Iterable[PackageRecord]) -> PythonInfo | None:
        python = next((r for r in records if r.name == "python"), None)
        if python is None:
            return None
        short = ".".join(python.version.split(".")[:2])
        site = python.python_site_packages_path or f"lib/python{short}/site-packages"
        check_relative(site, what="python_site_packages_path", where=record_source(python))
        return cls(short, site)

    @property
    def interpreter(self) -> str:
        return f"bin/python{self.short_version}"
