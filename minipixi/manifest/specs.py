"""Specs typed on the command line, and how a spec is written back into pixi.toml.

After ``minipixi add`` a learner types conda's spec language in any of its spellings:
``numpy``, ``"numpy>=2"``, ``"cuda-version 12.9.*"``, ``"pytorch 2.7.* cuda*"``,
``conda-forge::numpy``, conda's fuzzy ``numpy=1.24`` (which means ``1.24.*``) or the bracket form
``numpy[version='>=2']``. `parse_cli_spec` reads each into a `DependencySpec` (checked with the
real spec parser, `matchspec.py`, so a typo fails before anything is written), `spec_toml_value`
is how that spec is written in the manifest (a string, or an inline table when it has a build
or a channel), and `describe_spec` is how the CLI prints it after ✔ Added.

Lesson: Episode 2 (``pixi add``). Read after `manifest/edit.py`; read next `manifest/pins.py`.
"""

from __future__ import annotations

import re
from typing import Any

from minipixi.errors import ManifestError, MinipixiError, shorten
from minipixi.manifest.edit import inline
from minipixi.manifest.model import DependencySpec
from minipixi.matchspec import MatchSpec


_SPEC = re.compile(r"^\s*(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<rest>.*?)\s*$")


def parse_cli_spec(text: str) -> DependencySpec:
    """``numpy``, ``numpy>=2``, ``"cuda-version 12.9.*"``, ``pytorch 2.7.* cuda*``,
    ``conda-forge::numpy``: the spec a learner typed after `add`. Raises ManifestError."""
    if "[" in text:
        return _parse_bracket_spec(text)
    match = _SPEC.match(text)
    if not match or not match.group("name"):
        raise ManifestError(f"'{text}' is not a package spec", hint='write e.g. numpy, "numpy>=2" or "numpy 2.*"')
    rest = re.sub(r"\s*,\s*", ",", match.group("rest"))
    if rest.startswith("=") and not rest.startswith("=="):
        rest = _fuzzy(rest[1:])  # conda's `numpy=1.24` means 1.24.*
    version, _, build = rest.partition(" ")
    spec = DependencySpec(match.group("name"), version=version or None, build=build.strip() or None,
                          channel=match.group("channel"))
    _check_spec(spec, text)
    return spec


def _parse_bracket_spec(text: str) -> DependencySpec:
    """``numpy[version='>=2', build='py312*']``: conda's bracket form, read by MatchSpec."""
    try:
        spec = MatchSpec.parse(text)
    except MinipixiError as err:
        raise ManifestError(f"'{shorten(text)}' is not a valid spec: {err.message}",
                            hint='a spec looks like "numpy", "numpy >=2.3,<3" or "numpy 2.*"') from err
    version = str(spec.version) if spec.version is not None else None
    return DependencySpec(spec.name, version=version, build=spec.build, channel=spec.channel)


def _fuzzy(version: str) -> str:
    head, sep, build = version.partition("=")
    if not any(ch in head for ch in "*<>!~,|"):
        head = head + ".*"
    return head + (" " + build if sep else "")


def _check_spec(spec: DependencySpec, text: str) -> None:
    try:
        MatchSpec.parse(spec.matchspec_text())
    except MinipixiError as err:
        raise ManifestError(f"'{shorten(text)}' is not a valid spec: {err.message}",
                            hint='a spec looks like "numpy", "numpy >=2.3,<3" or "numpy 2.*"') from err


def spec_toml_value(spec: DependencySpec) -> Any:
    """How a spec is written in the manifest: a string, or an inline table when it needs one."""
    if not spec.build and not spec.channel:
        return spec.version or "*"
    table = {"version": spec.version or "*"}
    if spec.build:
        table["build"] = spec.build
    if spec.channel:
        table["channel"] = spec.channel
    return inline(table)


def describe_spec(spec: DependencySpec) -> str:
    """``numpy >=2.3.0,<3`` as Pixi prints it after ✔ Added (just the name for ``*``)."""
    parts = [spec.name]
    if spec.version and spec.version != "*":
        parts.append(spec.version)
    if spec.build:
        parts.append(spec.build)
    return " ".join(parts)

