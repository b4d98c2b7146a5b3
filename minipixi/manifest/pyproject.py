"""pyproject.toml: a Python project that keeps its pixi manifest under ``[tool.pixi]``.

The tables are those of pixi.toml, one level down (``[tool.pixi.workspace]``,
``[tool.pixi.dependencies]``, ...); `pixi_part_of_pyproject` takes that table out, and every
error then names its key with the ``tool.pixi.`` prefix. Pixi also reads three things from the
Python project itself (``[project]``, PEP 621), and so does minipixi (`add_python_project`):

- name, version, description and authors, where ``[tool.pixi.workspace]`` does not set them;
- ``requires-python`` becomes the conda dependency on python of the default feature, unless
  ``[tool.pixi.dependencies]`` names python itself (no requires-python: ``python = "*"``);
- ``dependencies`` become PyPI dependencies of the default feature, and each group of
  ``optional-dependencies`` / ``[dependency-groups]`` the PyPI dependencies of a feature of
  that name.

The PyPI dependencies are resolved after the conda solve and installed as wheels, as those of
``[pypi-dependencies]`` are (`app/pypi_lock.py`); a form that needs building is refused there.

Lesson: Episode 2 ("the manifest"). Read after `manifest/parse_features.py`; read next
`manifest/parse.py`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Mapping

from minipixi.errors import MinipixiError, shorten
from minipixi.manifest.model import DEFAULT_FEATURE, DependencySpec, Feature, PypiDependency
from minipixi.manifest.parse_dependencies import parse_spec_string
from minipixi.manifest.schema import PYPROJECT_PREFIX
from minipixi.manifest.shape import ParseContext, dotted, expect


def pixi_part_of_pyproject(ctx: ParseContext, doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The [tool.pixi] table (the manifest proper) and the [project] table of a pyproject.toml."""
    tool = doc.get("tool", {})
    pixi = tool.get("pixi") if isinstance(tool, dict) else None
    if pixi is None:
        raise ctx.error_at((), f"{ctx.path.name} has no [tool.pixi] table",
                           'add [tool.pixi.workspace] with channels = ["conda-forge"] and platforms, or run '
                           "`minipixi init` in this folder")
    ctx.prefix = PYPROJECT_PREFIX
    pixi = expect(ctx, pixi, (dict,), (), "[tool.pixi]")
    project = doc.get("project", {})
    if not isinstance(project, dict):
        raise ctx.error_at(("project",), "[project] of pyproject.toml must be a table",
                           'write it as a table: [project] then name = "..."', at_value=True)
    python = dict(project)
    if "dependency-groups" in doc:
        python["dependency-groups"] = doc["dependency-groups"]
    return pixi, python


def _requirement_name(ctx: ParseContext, text: Any, where: tuple) -> str:
    """The distribution name at the start of a PEP 508 requirement (``numpy>=2; python_version<'4'``)."""
    if not isinstance(text, str) or not (found := re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)):
        raise ctx.error_at(where, f"{shorten(repr(text))} is not a Python requirement",
                           'write a PEP 508 requirement, e.g. "numpy>=2"', at_value=True)
    return found.group(1)


def _python_requirements(ctx: ParseContext, items: Any, where: tuple, own_name: str | None,
                         groups: Mapping[str, Any] | None = None, seen: tuple = ()) -> dict[str, PypiDependency]:
    """PEP 508 strings (and, in [dependency-groups], ``{include-group = "..."}``) -> PyPI dependencies."""
    if not isinstance(items, list):
        raise ctx.error_at(where, f"[{dotted(where)}] must be an array of requirements",
                           'write e.g. ["numpy>=2", "pandas"]', at_value=True)
    found: dict[str, PypiDependency] = {}
    for i, item in enumerate(items):
        if groups is not None and isinstance(item, dict) and set(item) == {"include-group"}:
            name = item["include-group"]
            if name not in groups or name in seen:
                raise ctx.error_at(where + (i,), f"the dependency group {shorten(repr(name))} cannot be included here",
                                   "include a group defined in [dependency-groups], without a cycle", at_value=True)
            found.update(_python_requirements(ctx, groups[name], ("dependency-groups", name), own_name, groups,
                                              seen + (name,)))
            continue
        name = _requirement_name(ctx, item, where + (i,))
        if own_name is None or _normal(name) != _normal(own_name):  # in a group, the project itself is left out
            found[name] = PypiDependency(name, item.strip())
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _python_dependency(ctx: ParseContext, python: Mapping[str, Any]) -> DependencySpec:
    """``requires-python`` (PEP 440, ">= 3.11") as the conda spec of python (None: any python)."""
    text = python.get("requires-python")
    if text is None:
        return DependencySpec("python", version="*")
    where = ("project", "requires-python")
    if not isinstance(text, str):
        raise ctx.error_at(where, "requires-python must be a string", 'e.g. requires-python = ">=3.11"', at_value=True)
    conda = ",".join(part.strip().replace(" ", "") for part in text.split(","))
    try:
        return parse_spec_string("python", conda)
    except MinipixiError as err:
        raise ctx.error_at(where, f"requires-python = {shorten(repr(text))} cannot be used as the python dependency: "
                           f"{err.message}", 'write a version range, e.g. ">=3.11"', at_value=True) from err


def add_python_project(ctx: ParseContext, python: Mapping[str, Any], features: dict[str, Feature]) -> set[str]:
    """Fold [project] into the features (see above); returns the names of the features it made."""
    own = python.get("name") if isinstance(python.get("name"), str) else None
    default = features[DEFAULT_FEATURE]
    conda = dict(default.default.dependencies)
    if "python" not in conda:
        conda["python"] = _python_dependency(ctx, python)
    pypi = dict(default.default.pypi_dependencies)
    if "dependencies" in python:
        pypi.update(_python_requirements(ctx, python["dependencies"], ("project", "dependencies"), None))
    features[DEFAULT_FEATURE] = dataclasses.replace(
        default, default=dataclasses.replace(default.default, dependencies=conda, pypi_dependencies=pypi))
    made: set[str] = set()
    extras = python.get("optional-dependencies", {})
    groups = python.get("dependency-groups", {})
    for table, where in ((extras, ("project", "optional-dependencies")), (groups, ("dependency-groups",))):
        if not isinstance(table, dict):
            raise ctx.error_at(where, f"[{dotted(where)}] must be a table of arrays",
                               'write e.g. test = ["pytest"]', at_value=True)
        for group, items in table.items():
            reqs = _python_requirements(ctx, items, where + (group,), own, groups if table is groups else None)
            feature = features.get(group)
            if feature is None:
                feature, _ = Feature(name=group), made.add(group)
            features[group] = dataclasses.replace(feature, default=dataclasses.replace(
                feature.default, pypi_dependencies={**feature.default.pypi_dependencies, **reqs}))
    return made


def python_metadata(ctx: ParseContext, python: Mapping[str, Any]) -> dict[str, Any]:
    """name, version, description and authors of [project] (authors as "Name <email>")."""
    meta: dict[str, Any] = {k: python[k] for k in ("name", "version", "description") if isinstance(python.get(k), str)}
    authors = []
    for person in python.get("authors", []) if isinstance(python.get("authors"), list) else []:
        if isinstance(person, dict) and (person.get("name") or person.get("email")):
            name, email = person.get("name", ""), person.get("email")
            authors.append(f"{name} <{email}>".strip() if email else str(name))
    if authors:
        meta["authors"] = tuple(authors)
    return meta
