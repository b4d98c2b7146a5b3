"""Hypothesis: random sequences of manifest edits keep the file valid, reload to the model the edits
describe, keep the learner's comments, and `add` followed by `remove` restores the exact bytes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi import files
from minipixi.errors import ManifestError
from minipixi.manifest import read_manifest
from minipixi.manifest.edit_dependencies import add_dependencies, remove_dependencies
from minipixi.manifest.edit_tasks import add_task
from minipixi.manifest.edit_workspace import add_environment, add_platforms

BASE = """\
# Workspace for the property tests.
[workspace]
channels = ["conda-forge"]  # keep this comment
name = "prop"
platforms = ["linux-64"]

[tasks]
# a comment inside [tasks]
hello = "echo hello"

[dependencies]
python = ">=3.12"  # pinned for CI

# trailing comment
"""
COMMENTS = [line.split("#", 1)[1] for line in BASE.splitlines() if "#" in line]


@pytest.fixture(autouse=True, scope="module")
def _no_fsync():
    """Thousands of small writes: skip the flush to disk (os.replace stays atomic)."""
    files.FSYNC = False
    yield
    files.FSYNC = True

FEATURES = st.sampled_from([None, "gpu", "cpu"])
PLATFORMS = st.sampled_from([None, "linux-64", "osx-arm64"])
NAMES = st.sampled_from(["numpy", "scipy", "pytorch-gpu", "cuda-version", "jupyterlab"])
VERSIONS = st.sampled_from(["*", ">=1.2,<2", "2.*", "1.2.3", ">=0.22.0,<0.23"])

add_dep = st.tuples(st.just("add"), FEATURES, PLATFORMS, NAMES, VERSIONS)
remove_dep = st.tuples(st.just("remove"), st.integers(0, 1000))
add_task_op = st.tuples(st.just("task"), FEATURES, st.sampled_from(["lab", "train", "test"]),
                        st.sampled_from(["jupyter lab", "python train.py", "pytest -x"]))
add_platform = st.tuples(st.just("platform"), st.sampled_from(["osx-arm64", "win-64", "linux-aarch64"]))
add_env = st.tuples(st.just("environment"), st.sampled_from(["gpu", "cpu", "all"]), st.sets(st.sampled_from(["gpu", "cpu"])))
OPERATIONS = st.lists(st.one_of(add_dep, remove_dep, add_task_op, add_platform, add_env), max_size=8)


class Model:
    """What the manifest should say after the edits: plain dicts, no TOML."""

    def __init__(self) -> None:
        self.deps: dict[tuple, dict[str, str]] = {(None, None): {"python": ">=3.12"}}
        self.tasks: dict[str | None, dict[str, str]] = {None: {"hello": "echo hello"}}
        self.platforms = ["linux-64"]
        self.environments: dict[str, tuple[str, ...]] = {}

    def features(self) -> set[str]:
        """Features with entries, and features an environment uses (their last table stays)."""
        used = {f for (f, _), deps in self.deps.items() if deps} | {f for f, t in self.tasks.items() if t}
        used |= {f for features in self.environments.values() for f in features}
        return {f for f in used if f}


def apply(path: Path, model: Model, op: tuple) -> None:
    kind = op[0]
    if kind == "add":
        _, feature, platform, name, version = op
        add_dependencies(path, [f"{name} {version}"], feature=feature, platforms=[platform] if platform else [])
        model.deps.setdefault((feature, platform), {})[name] = version
    elif kind == "remove":
        if removal_target(model, op) is None:
            return
        (feature, platform), name = removal_target(model, op)
        remove_dependencies(path, [name], feature=feature, platforms=[platform] if platform else [])
        del model.deps[(feature, platform)][name]
    elif kind == "task":
        _, feature, name, cmd = op
        add_task(path, name, cmd, feature=feature)
        model.tasks.setdefault(feature, {})[name] = cmd
    elif kind == "platform":
        add_platforms(path, [op[1]])
        if op[1] not in model.platforms:
            model.platforms.append(op[1])
    else:
        _, name, features = op
        if name in model.environments:
            return
        add_environment(path, name, sorted(features))
        model.environments[name] = tuple(sorted(features))


def removal_target(model: Model, op: tuple) -> tuple | None:
    """Which (table, name) a remove op picks: one of the entries the edits added."""
    present = [(k, n) for k, deps in sorted(model.deps.items(), key=str) for n in deps if n != "python"]
    return present[op[1] % len(present)] if present else None


def check(path: Path, model: Model) -> None:
    ws = read_manifest(path)  # the file is valid pixi.toml
    for (feature, platform), deps in model.deps.items():
        if not deps:
            continue
        feat = ws.features[feature or "default"]
        target = feat.targets[platform] if platform else feat.default
        assert {n: d.version for n, d in target.dependencies.items()} == deps
    for feature, tasks in model.tasks.items():
        if tasks:
            assert {n: t.cmd for n, t in ws.features[feature or "default"].default.tasks.items()} == tasks
    assert [p.name for p in ws.platforms] == model.platforms
    assert {n: e.features for n, e in ws.environments.items() if n != "default"} == model.environments
    assert set(ws.features) - {"default"} == model.features()
    text = path.read_text()
    assert all(comment in text for comment in COMMENTS)


@given(OPERATIONS)
def test_random_edit_sequences_reload_to_the_model(operations):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pixi.toml"
        path.write_text(BASE)
        model = Model()
        for op in operations:
            if op[0] == "environment" and not op[2] <= model.features():
                continue  # an environment may only name features that exist
            apply(path, model, op)  # every generated edit is valid, so none may fail
            check(path, model)


@given(OPERATIONS, FEATURES, PLATFORMS, NAMES, VERSIONS)
def test_add_then_remove_restores_the_bytes(operations, feature, platform, name, version):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pixi.toml"
        path.write_text(BASE)
        model = Model()
        for op in operations:
            if op[0] in ("add", "task", "platform"):
                apply(path, model, op)
        if name in model.deps.get((feature, platform), {}):
            return
        before = path.read_bytes()
        add_dependencies(path, [f"{name} {version}"], feature=feature, platforms=[platform] if platform else [])
        assert path.read_bytes() != before
        remove_dependencies(path, [name], feature=feature, platforms=[platform] if platform else [])
        assert path.read_bytes() == before


# ---- bad input never crashes -------------------------------------------------------------------
PIXI_KEYS = ["workspace", "dependencies", "tasks", "feature", "environments", "target", "system-requirements",
             "activation", "pypi-dependencies", "channels", "platforms", "name", "cmd", "depends-on", "features",
             "solve-group", "cuda", "libc", "linux-64", "osx", "gpu", "default", "version", "build", "env",
             "scripts", "args", "no-default-feature", "platform", "priority", "channel", "constraints", "x"]
SCALARS = st.one_of(st.sampled_from(["linux-64", "*", ">=1", ">=2,,", "gpu", "conda-forge", "12", "", "a b", "pixi"]),
                    st.integers(-3, 3), st.booleans())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(PIXI_KEYS), inner, max_size=4)), max_leaves=20)
DOCUMENTS = st.dictionaries(st.sampled_from(PIXI_KEYS), VALUES, max_size=6)


@given(DOCUMENTS)
def test_any_manifest_shape_gives_a_manifest_or_a_located_error(extra):
    import tomlkit

    from minipixi.manifest import parse_manifest

    doc = {"workspace": {"channels": ["conda-forge"], "platforms": ["linux-64", "osx-arm64"]}, **extra}
    try:
        ws = parse_manifest(tomlkit.dumps(doc), "pixi.toml")
        for env in ws.environments:
            for platform in ws.environment_platforms(env):
                ws.resolve(env, platform)
    except ManifestError as err:
        assert err.message and str(err.where).startswith("pixi.toml")
