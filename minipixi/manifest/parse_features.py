"""Features, targets and environments: the layers a manifest is written in.

Everything at the top level of pixi.toml is the feature ``default``; ``[feature.NAME]`` tables
are the others. A feature holds dependency tables, tasks and activation (together: a `Target`,
the part a ``[target.SELECTOR]`` table may override for some platforms) plus the feature-wide
``platforms``, ``channels`` and ``system-requirements``. An environment lists features; written
as a table it may also declare its own dependencies or tasks, which become a hidden feature
``environment:NAME`` listed first.

`parse_feature` is where the pieces of the earlier modules meet: dependency tables
(`manifest/parse_dependencies.py`), tasks (`manifest/parse_tasks.py`), channels and system
requirements (`manifest/parse_platforms.py`). Settings minipixi cannot honour that a feature
holds are tagged with its name, so the error names the feature when a solve needs them.

Lesson: Episode 2 ("multi-environment"). Read after `manifest/parse_platforms.py`; read next
`manifest/pyproject.py`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Mapping, Sequence

from minipixi.manifest.model import Activation, Environment, Feature, Target
from minipixi.manifest.parse_dependencies import parse_dependency_table, parse_pypi_table
from minipixi.manifest.parse_platforms import parse_channels, parse_system_requirements
from minipixi.manifest.parse_settings import check_solve_options
from minipixi.manifest.parse_tasks import parse_tasks
from minipixi.manifest.schema import ENVIRONMENT_KEYS, ENVIRONMENT_NAME, FEATURE_KEYS, FEATURE_NAME, TARGET_KEYS
from minipixi.manifest.shape import (
    ParseContext, check_env_var_name, check_keys, did_you_mean, expect, expect_str_list, quoted,
)


def parse_target(ctx: ParseContext, table: Mapping[str, Any], path: Sequence[Any], selector: str | None) -> Target:
    """The dependency/task/activation part shared by features, targets and environments."""
    p = tuple(path)
    activation = table.get("activation")
    if expect(ctx, table.get("dev", {}), (dict,), p + ("dev",), "[dev]"):
        ctx.unsupported.append(ctx.unsupported_setting(
            p + ("dev",), "dev", "[dev] (source packages built for development, pixi-build) is not supported by minipixi",
            "remove the [dev] table, or use pixi itself", selector=selector))
    return Target(
        selector=selector,
        dependencies=parse_dependency_table(ctx, table.get("dependencies", {}), p + ("dependencies",)),
        host_dependencies=parse_dependency_table(ctx, table.get("host-dependencies", {}), p + ("host-dependencies",)),
        build_dependencies=parse_dependency_table(ctx, table.get("build-dependencies", {}), p + ("build-dependencies",)),
        constraints=parse_dependency_table(ctx, table.get("constraints", {}), p + ("constraints",)),
        pypi_dependencies=parse_pypi_table(ctx, table.get("pypi-dependencies", {}), p + ("pypi-dependencies",)),
        tasks=parse_tasks(ctx, table.get("tasks", {}), p + ("tasks",)),
        activation=parse_activation(ctx, activation, p + ("activation",)) if activation is not None else None,
    )


def parse_feature(ctx: ParseContext, name: str, table: Any, path: Sequence[Any], allowed: Sequence[str] = FEATURE_KEYS) -> Feature:
    """A feature table (for ``default``: the top level of the document)."""
    p = tuple(path)
    table = expect(ctx, table, (dict,), p, f"feature '{name}'")
    check_keys(ctx, table, allowed, p)
    if not FEATURE_NAME.fullmatch(name):
        raise ctx.error(p, f"{quoted(name)} is not a valid feature name", "feature names may not contain control characters")
    first_unsupported = len(ctx.unsupported)
    targets = {}
    for selector, target in expect(ctx, table.get("target", {}), (dict,), p + ("target",), "[target]").items():
        target_path = p + ("target", selector)
        check_keys(ctx, expect(ctx, target, (dict,), target_path, f"target '{selector}'"), TARGET_KEYS, target_path)
        targets[selector] = parse_target(ctx, target, target_path, selector)
    platforms = table.get("platforms")
    channels = table.get("channels")
    priority = check_solve_options(ctx, table, p)
    feature = Feature(
        name=name,
        platforms=expect_str_list(ctx, platforms, p + ("platforms",), "platforms") if platforms is not None else None,
        channels=parse_channels(ctx, channels, p + ("channels",)) if channels is not None else None,
        channel_priority=priority, solve_strategy=table.get("solve-strategy"),
        system_requirements=parse_system_requirements(ctx, table.get("system-requirements", {}), p + ("system-requirements",)),
        default=parse_target(ctx, table, p, None),
        targets=targets,
    )
    mine = [dataclasses.replace(u, feature=name) for u in ctx.unsupported[first_unsupported:]]
    del ctx.unsupported[first_unsupported:]
    return dataclasses.replace(feature, unsupported=tuple(mine)) if mine else feature


def parse_activation(ctx: ParseContext, table: Any, path: Sequence[Any]) -> Activation:
    table = expect(ctx, table, (dict,), path, "[activation]")
    check_keys(ctx, table, ("scripts", "env"), path)
    scripts = expect_str_list(ctx, table.get("scripts", []), tuple(path) + ("scripts",), "activation scripts")
    env = expect(ctx, table.get("env", {}), (dict,), tuple(path) + ("env",), "activation env")
    for key, val in env.items():
        check_env_var_name(ctx, key, tuple(path) + ("env", key))
        expect(ctx, val, (str,), tuple(path) + ("env", key),  # "" is a value (EXECUTABLE_EXTENSION = "")
               f"the activation variable '{key}' (a string, e.g. {key} = \"value\")", empty_ok=True)
    return Activation(scripts, dict(env))


# ---- environments ------------------------------------------------------------------------------
def _environment_feature_name(env: str) -> str:
    """The hidden feature that holds what an environment table declares itself."""
    return f"environment:{env}"


def parse_environment(ctx: ParseContext, name: str, value: Any, path: Sequence[Any]) -> tuple[Environment, Feature | None]:
    """An ``[environments]`` entry; returns the environment and its own inline feature, if any."""
    p = tuple(path)
    if not ENVIRONMENT_NAME.fullmatch(name):
        fixed = re.sub(r"[^a-z\d\-]+", "-", name.lower()).strip("-") or "env"
        raise ctx.error(p, f"invalid environment name {quoted(name)}, please use only lowercase letters, numbers and dashes",
                        f"rename it, e.g. to '{fixed}'")
    expect(ctx, value, (list, dict), p, f"environment '{name}'")
    if isinstance(value, list):
        return Environment(name, expect_str_list(ctx, value, p, "features")), None
    check_keys(ctx, value, ENVIRONMENT_KEYS, p)
    features = expect_str_list(ctx, value.get("features", []), p + ("features",), "features")
    solve_group = value.get("solve-group")
    if solve_group is not None:
        expect(ctx, solve_group, (str,), p + ("solve-group",), "solve-group")
    no_default = expect(ctx, value.get("no-default-feature", False), (bool,), p + ("no-default-feature",), "no-default-feature")
    own_keys = {k: v for k, v in value.items() if k not in ("features", "solve-group", "no-default-feature")}
    inline = None
    if own_keys:
        inline = parse_feature(ctx, _environment_feature_name(name), own_keys, p, ENVIRONMENT_KEYS)
        features = (inline.name,) + features
    return Environment(name, features, solve_group, no_default, inline.platforms if inline else None), inline


def check_environment_features(ctx: ParseContext, env: Environment, features: Mapping[str, Feature], path: Sequence[Any]) -> None:
    """Every feature an environment lists must exist, and appear once."""
    listed = [f for f in env.features if not f.startswith("environment:")]
    for i, feature in enumerate(listed):
        item_path = _feature_item_path(ctx, path, i)
        if feature not in features:
            guess = did_you_mean(feature, [f for f in features if not f.startswith("environment:")])
            hint = f"did you mean '{guess}'?" if guess else f"define it with a [feature.{feature}] table, e.g. `minipixi add --feature {feature} SPEC`"
            raise ctx.error(item_path, f"the feature '{feature}' is not defined in the manifest", hint, at_value=True)
        if feature in listed[:i]:
            raise ctx.error(item_path, f"the feature '{feature}' is included more than once in environment '{env.name}'",
                            "list each feature once: the order of features matters, so a duplicate is ambiguous", at_value=True)


def _feature_item_path(ctx: ParseContext, env_path: Sequence[Any], index: int) -> tuple:
    """The key path of the index-th listed feature: list form, or the `features` key of a table."""
    list_form = tuple(env_path) + (index,)
    return list_form if ctx.prefix + list_form in ctx.map.spans else tuple(env_path) + ("features", index)
