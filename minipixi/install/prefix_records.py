"""What is installed: the `conda-meta/<name>-<version>-<build>.json` records of a prefix.

A prefix knows what it holds only through these files, one per package, as conda and Pixi
write them: the package's record (from `index.json` and the channel), the files linking it
created (`files`, and `paths_data` with each file's hash, and `sha256_in_prefix` when the
placeholder was replaced), where it was linked from, and the spec the user asked for.

A record is written *last* when a package is linked and removed *last* when it is unlinked, so
a record means "these files are here" (`install/install.py` builds its crash safety on that).
Records are written without fsync (`write_quick`): an install that dies is redone from its
journal, so flushing every record (~6 ms each) would buy nothing.

Reading them back trusts nothing: a `files` entry is removed one day, so each must be a
relative path that stays inside the prefix (`files.check_relative`).

Lesson: Episode 4, "The record an installer leaves". Read after `install/package_cache.py`; read next
`install/transaction.py`. Ground truth: rattler_conda_types `PrefixRecord`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from minipixi.errors import InstallError, RecordError
from minipixi.files import UnsafePathError, check_component, check_relative, write_atomic
from minipixi.install.package_cache import record_source
from minipixi.records import PackageRecord


@dataclass(frozen=True)
class PrefixRecord:
    """An installed package: its record, plus what linking it put into the prefix."""

    record: PackageRecord
    files: tuple[str, ...]
    paths_data: tuple[dict, ...] = ()
    extracted_package_dir: str | None = None
    requested_spec: str | None = None

    def to_json(self) -> dict:
        data = self.record.to_repodata()
        data.update(fn=self.record.fn or f"{self.record.dist_name}.conda",
                    url=self.record.url, channel=self.record.channel)
        data["files"] = list(self.files)
        data["paths_data"] = {"paths": list(self.paths_data), "paths_version": 1}
        data["extracted_package_dir"] = self.extracted_package_dir
        data["link"] = {"source": self.extracted_package_dir, "type": 1}
        data["requested_spec"] = self.requested_spec
        return data

    @classmethod
    def from_json(cls, data: dict) -> PrefixRecord:
        fn = data.get("fn") or f"{data['name']}-{data['version']}-{data['build']}.conda"
        paths = (data.get("paths_data") or {}).get("paths") or []
        return cls(PackageRecord.from_repodata(fn, data), tuple(data.get("files") or ()),
                   tuple(paths), data.get("extracted_package_dir"), data.get("requested_spec"))


def write_prefix_record(prefix: Path, installed: PrefixRecord) -> None:
    """Write `conda-meta/<dist>.json` atomically: one key per line, one path per line.

    (json.dumps with `indent` runs the slow pure-Python encoder; this layout keeps the file
    readable and diffable at the speed of the C one.)
    """
    data = installed.to_json()
    paths = data.pop("paths_data")["paths"]
    lines = [f"  {json.dumps(key)}: {_json_block(value)}" for key, value in data.items()
             if key != "files"]
    lines.append(f'  "files": {_json_block(data["files"])}')
    lines.append(f'  "paths_data": {{"paths_version": 1, "paths": {_json_block(paths)}}}')
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    write_quick(meta_path(prefix, installed.record), text)


def meta_path(prefix: Path, record: PackageRecord) -> Path:
    """`conda-meta/<name>-<version>-<build>.json`, once the name is proven to be one file."""
    return prefix / "conda-meta" / check_component(f"{record.dist_name}.json",
                                                   what="conda-meta file name",
                                                   where=record_source(record))


_encode = json.JSONEncoder().encode  # json.dumps minus its per-call argument handling


def _json_block(value) -> str:
    """A list as one item per line; anything else on one line."""
    if isinstance(value, list) and value:
        return "[\n    " + ",\n    ".join(map(_encode, value)) + "\n  ]"
    return _encode(value)


def read_prefix_records(prefix: Path) -> dict[str, PrefixRecord]:
    """The installed packages of `prefix`, by name, from `conda-meta/*.json`."""
    installed: dict[str, PrefixRecord] = {}
    meta = Path(prefix) / "conda-meta"
    for path in sorted(meta.glob("[!.]*.json")) if meta.is_dir() else ():
        try:
            record = PrefixRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
            for rel in record.files:  # removed one day: each must stay inside the prefix
                check_relative(rel, what="`files` entry", where=str(path))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError,
                OSError, RecordError, UnsafePathError) as err:  # (json reads Infinity; deep nesting)
            raise InstallError(f"cannot read installed record {path.name}: {err}", where=str(path),
                               hint="delete the prefix and install again") from err
        installed[record.record.name] = record
    return installed


def write_quick(path: Path, text: str) -> None:
    """The project's one atomic writer, without fsync (see the module docstring)."""
    write_atomic(path, text, fsync=False)
