"""``minipixi init --import environment.yml``: what a conda environment file says.

A conda ``environment.yml`` is YAML: a name, channels, and a list of dependency specs that may
hold a ``pip:`` sub-list. `read_environment_yml` takes those (the specs read as if typed after
``add``, by `manifest/specs.py`) and nothing else. The file comes from outside, so it is read
with bounds: a size limit, no YAML anchors or aliases (an alias bomb loads fast and then hangs
whatever walks it; `lock/yaml_dialect.py` checks), and a clear error for deep nesting or bytes
that are not UTF-8. The reverse direction (writing an environment.yml) is `deploy/export.py`.

Lesson: Episode 2 (``pixi init --import``). Read after `manifest/init.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from minipixi.errors import ManifestError
from minipixi.manifest.locate import decode_utf8
from minipixi.manifest.model import DependencySpec
from minipixi.manifest.specs import parse_cli_spec


@dataclass(frozen=True)
class ImportedEnvironment:
    """What `init --import environment.yml` takes from a conda environment file."""

    name: str | None
    channels: list[str]
    dependencies: list[DependencySpec]
    pypi: dict[str, str]


#: The largest environment.yml `init --import` reads (real ones are a few kB).
MAX_ENVIRONMENT_YML = 16 * 2**20


def read_environment_yml(path: Path) -> ImportedEnvironment:
    """Read a conda environment.yml: name, channels, dependencies (and a ``pip:`` sub-list)."""
    import yaml  # lazy: only `init --import` needs it

    from minipixi.lock.yaml_dialect import YamlReadError, check_no_aliases  # lazy: it loads yaml

    try:
        if path.stat().st_size > MAX_ENVIRONMENT_YML:
            raise ManifestError(f"{path} is larger than {MAX_ENVIRONMENT_YML // 2**20} MiB", where=str(path),
                                hint="a conda environment.yml is a short list of packages")
        text = path.read_text(encoding="utf-8")
        check_no_aliases(text)  # an alias bomb loads fast and hangs whatever walks it (str() below)
        data = yaml.safe_load(text) or {}
    except YamlReadError as err:
        raise ManifestError(f"cannot read {path}: {err.message}", where=str(path),
                            hint="a conda environment.yml needs no YAML anchors or aliases") from err
    except (OSError, yaml.YAMLError) as err:
        raise ManifestError(f"cannot read {path}: {err}", hint="check that it is a conda environment.yml") from err
    except UnicodeDecodeError:
        decode_utf8(path.read_bytes(), str(path), ManifestError)  # raises at the first bad byte
        raise
    except RecursionError:  # PyYAML builds nested lists and mappings recursively
        raise ManifestError(f"{path} is nested too deeply to read", where=str(path),
                            hint="a conda environment.yml holds a few levels of lists at most") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path} is not a conda environment file", hint="it should be a mapping with 'dependencies'")
    deps, pypi = [], {}
    for item in _list(data, "dependencies", path):
        if isinstance(item, dict) and "pip" in item:
            for req in _list(item, "pip", path):
                match = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", str(req))
                if match:
                    pypi[match.group(1)] = match.group(2).strip() or "*"
        elif isinstance(item, str):
            deps.append(parse_cli_spec(item))
    channels = [str(c) for c in _list(data, "channels", path) if c != "nodefaults"]
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise ManifestError(f"'name' in {path.name} is not text", where=str(path),
                            hint="write name: my-environment")
    return ImportedEnvironment(name, channels, deps, pypi)


def _list(table: dict, key: str, path: Path) -> list:
    """`table[key]` when it is a list, [] when it is absent or empty; anything else (a number,
    a mapping) is a ManifestError naming the file, not a TypeError while walking it."""
    value = table.get(key) or []
    if not isinstance(value, list):
        raise ManifestError(f"'{key}' in {path.name} is not a list", where=str(path),
                            hint=f"write {key}: followed by one '- item' per line")
    return value
