"""Real manifests: every corpus pixi.toml loads, resolves the way its pixi.lock says, and what we
write validates against Pixi's own JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit
import yaml

from minipixi.errors import ManifestError
from minipixi.manifest import read_manifest

pytestmark = pytest.mark.corpus


def _lock_pairs(corpus: Path) -> list[tuple[Path, Path]]:
    return [(t, t.with_suffix(".lock")) for t in sorted((corpus / "locks").glob("*.pixi.toml"))]


def _package_name(url: str) -> str:
    filename = url.rsplit("/", 1)[-1].removesuffix(".conda").removesuffix(".tar.bz2")
    return filename.rsplit("-", 2)[0]


def _channel_url(name: str) -> str:
    return name if "://" in name else f"https://conda.anaconda.org/{name}/"


def _lock_platform_key(lock: dict, subdir: str, cuda: str | None, osx: str | None) -> str:
    """The lock's platform name for a (subdir, declared cuda/osx) of ours (v7 renames them p1..)."""
    if lock["version"] < 7:
        return subdir
    for entry in lock["platforms"]:
        vps = dict(v.split("=")[:2] for v in entry.get("virtual-packages", []))
        if entry.get("subdir", entry["name"]) == subdir and vps.get("__cuda") == cuda and (
            osx is None or vps.get("__osx") == osx
        ):
            return entry["name"]
    raise AssertionError(f"no lock platform for {subdir} cuda={cuda} osx={osx}")


def test_every_corpus_manifest_loads(corpus_dir):
    """Every manifest loads and resolves; its specs parse, or (for settings minipixi cannot
    honour, like the git dependencies and `solve-strategy = "lowest"` of Pixi's full example)
    asking for them is a located "not supported" error instead of a different solve."""
    paths = sorted((corpus_dir / "locks").glob("*.toml")) + sorted((corpus_dir / "export").glob("*.toml"))
    paths += sorted((corpus_dir / "pixi-schema-examples" / "valid").glob("*.toml"))
    assert len(paths) >= 14
    refused = set()
    for path in paths:
        ws = read_manifest(path)
        for env in ws.environments:
            for platform in ws.environment_platforms(env):
                resolved = ws.resolve(env, platform)
                try:
                    assert set(resolved.specs) == set(resolved.dependencies)  # every spec parses
                    assert set(resolved.constraint_specs) == set(resolved.constraints)
                except ManifestError as err:
                    assert "not supported" in err.message and str(err.where).startswith(f"{path}:"), err.render()
                    refused.add(path.name)
    assert refused == {"full.toml"}


@pytest.mark.parametrize("name", ["full.toml", "workspace_rich_platform.toml", "constraints.toml"])
def test_schema_examples_model(corpus_dir, name):
    ws = read_manifest(corpus_dir / "pixi-schema-examples" / "valid" / name)
    if name == "full.toml":
        cuda = ws.features["cuda"]
        assert cuda.system_requirements.cuda == "12" and cuda.platforms == ("linux-64", "osx-arm64")
        assert [(c.channel, c.priority) for c in cuda.channels] == [("nvidia", 0), ("pytorch", -1)]
        assert ws.resolve("test", "linux-64").dependencies["package1"].build == "py34_0"
    elif name == "workspace_rich_platform.toml":
        assert ws.platform("linux-64-cuda").virtual == {"cuda": "12.0", "glibc": "2.28"}
    else:
        assert set(ws.resolve("full", "linux-64").constraints) == {"openssl", "zlib", "urllib3", "libgcc"}


def test_every_invalid_schema_example_is_rejected_clearly(corpus_dir):
    paths = sorted((corpus_dir / "pixi-schema-examples" / "invalid").glob("*.toml"))
    assert len(paths) >= 10
    # The schema dropped [package.target.*], but Pixi 0.77's parser still reads it (it lowers it to
    # conditional tables), and real manifests use it (scipy's): minipixi reads it too.
    read_manifest(corpus_dir / "pixi-schema-examples" / "invalid" / "package_target_removed.toml")
    paths = [p for p in paths if p.name != "package_target_removed.toml"]
    for path in paths:
        with pytest.raises(ManifestError) as info:
            read_manifest(path)
        err = info.value
        assert str(err.where).startswith(str(path)), path.name
        assert err.hint, path.name
        assert "Traceback" not in err.render()


def test_feature_platform_outside_the_workspace_is_rejected(corpus_dir, tmp_path):
    text = (corpus_dir / "pixi-schema-examples" / "invalid" / "bad_feature_platform.toml").read_text()
    fixed = tmp_path / "pixi.toml"
    fixed.write_text(text.replace("[project]\n", '[project]\nchannels = ["conda-forge"]\n'))
    with pytest.raises(ManifestError, match="not-a-platform"):
        read_manifest(fixed)


def test_resolution_agrees_with_the_real_lock_files(corpus_dir):
    """Environments, platforms, channels, declared CUDA, and every requested package per
    (environment, platform) match what Pixi wrote into the lock."""
    for toml_path, lock_path in _lock_pairs(corpus_dir):
        ws = read_manifest(toml_path)
        lock = yaml.load(lock_path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        assert set(lock["environments"]) == set(ws.environments), toml_path.name
        for env_name, env in lock["environments"].items():
            ours = ws.environment_platforms(env_name)
            assert len(ours) == len(env["packages"]), (toml_path.name, env_name)
            for platform in ours:
                resolved = ws.resolve(env_name, platform)
                assert [c["url"] for c in env["channels"]] == [_channel_url(c) for c in resolved.channels]
                key = _lock_platform_key(lock, resolved.subdir, resolved.virtual_packages.get("__cuda"),
                                         resolved.virtual_packages.get("__osx"))
                locked = {_package_name(p["conda"]) for p in env["packages"][key] if "conda" in p}
                missing = set(resolved.dependencies) - locked
                assert not missing, (toml_path.name, env_name, platform, missing)


def test_target_specific_gpu_packages_stay_off_macos(corpus_dir):
    ws = read_manifest(corpus_dir / "locks" / "matthewfeickert__nvidia-gpu-ml-library-test.pixi.toml")
    assert "pytorch-gpu" in ws.resolve("gpu", "linux-64").dependencies
    assert "pytorch-gpu" not in ws.resolve("gpu", "osx-arm64").dependencies
    assert ws.resolve("gpu-jax", "linux-64").virtual_packages == {"__cuda": "12.6"}
    assert ws.resolve("inference", "linux-64").virtual_packages == {"__cuda": "12"}


# ---- manifests we write validate against Pixi's schema ---------------------------------------
def _validator(corpus_dir: Path, name: str):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((corpus_dir / name).read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _schema_errors(validator, path: Path) -> list[str]:
    data = tomlkit.parse(path.read_text()).unwrap()
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def test_the_manifests_we_write_validate_against_pixis_schema(corpus_dir, tmp_path):
    from minipixi.manifest.edit_dependencies import add_dependencies
    from minipixi.manifest.edit_tasks import add_task
    from minipixi.manifest.edit_workspace import add_environment, add_platforms, add_system_requirement
    from minipixi.manifest.init import init_workspace
    from minipixi.manifest.migrate import migrate_system_requirements

    current = _validator(corpus_dir, "pixi-manifest-schema.json")
    lesson_era = _validator(corpus_dir, "pixi-manifest-schema-v0.50.0.json")
    path = init_workspace(tmp_path / "w", platforms=["linux-64"], authors=["A <a@b.c>"])
    add_dependencies(path, ["python >=3.13.5,<3.14", "conda-forge::pytorch 2.7.* cuda*"])
    add_task(path, "lab", "jupyter lab", description="Launch JupyterLab", env={"A": "1"}, cwd="src")
    add_task(path, "start", None, depends_on=["lab"])
    add_platforms(path, ["osx-arm64", "win-64"])
    add_dependencies(path, ["pytorch-gpu >=2.7.0,<3"], feature="gpu", platforms=["linux-64"])
    add_system_requirement(path, "cuda", "12", feature="gpu")
    add_environment(path, "gpu", ["gpu"], solve_group="main")
    add_system_requirement(path, "libc", "2.28", family="glibc")
    for validator in (current, lesson_era):
        assert _schema_errors(validator, path) == []
    add_system_requirement(path, "cuda", "12")
    migrate_system_requirements(path)  # workspace-wide and feature-level tables
    add_platforms(path, ["arm=linux-aarch64"], virtual={"glibc": "2.28", "archspec": "armv8.2a"})
    assert _schema_errors(current, path) == []
    ws = read_manifest(path)
    assert ws.features["gpu"].platforms and ws.platform("arm").virtual == {"glibc": "2.28", "archspec": "armv8.2a"}


def test_migrating_real_manifests_keeps_every_environment(corpus_dir, tmp_path):
    """`workspace migrate` on the corpus manifests that still use [system-requirements]: each
    environment resolves to the same subdirs, virtual packages, specs and tasks as before
    (the `default` environment, made of the default feature only, may gain the new entries)."""
    from minipixi.manifest.migrate import migrate_system_requirements

    migrated = 0
    for source in sorted((corpus_dir / "locks").glob("*.toml")):
        if "system-requirements" not in source.read_text():
            continue
        path = tmp_path / source.name
        path.write_text(source.read_text())
        before = read_manifest(path)
        migrate_system_requirements(path)
        after = read_manifest(path)
        for env in before.environments:
            old, new = _resolution(before, env), _resolution(after, env)
            assert new == old or (env == "default" and old <= new), (source.name, env)
        assert "system-requirements" not in path.read_text()
        assert _schema_errors(_validator(corpus_dir, "pixi-manifest-schema.json"), path) == []
        migrated += 1
    assert migrated >= 4


def _resolution(ws, env: str) -> set:
    rows = set()
    for platform in ws.environment_platforms(env):
        r = ws.resolve(env, platform)
        rows.add((r.subdir, tuple(sorted(r.virtual_packages.items())),
                  tuple(sorted((k, v.version) for k, v in r.dependencies.items())), tuple(sorted(r.tasks))))
    return rows


def test_add_then_remove_restores_pixis_full_example_everywhere(corpus_dir, tmp_path):
    """Pixi's full.toml writes tables every way TOML allows (headers, dotted keys, inline tables,
    multi-line inline tables); an add then a remove at each place gives back the same bytes."""
    from minipixi.manifest.edit_dependencies import add_dependencies, remove_dependencies
    from minipixi.manifest.edit_tasks import add_task, remove_task

    path = tmp_path / "pixi.toml"
    original = (corpus_dir / "pixi-schema-examples" / "valid" / "full.toml").read_text()
    path.write_text(original)
    places = [("cuda", "osx-arm64"), ("cuda", None), ("lint", None), ("cuda", "linux-64"), ("prod", None),
              (None, "unix"), ("test", "linux-64"), ("cuda2", "win-64"), ("brand-new", "linux-64")]
    for feature, platform in places:
        platforms = [platform] if platform else []
        add_dependencies(path, ["zzz 1.*"], feature=feature, platforms=platforms)
        ws = read_manifest(path)
        target = ws.features[feature or "default"]
        assert (target.targets[platform] if platform else target.default).dependencies["zzz"].version == "1.*"
        remove_dependencies(path, ["zzz"], feature=feature, platforms=platforms)
        assert path.read_text() == original, (feature, platform)
        add_task(path, "zt", "echo hi", feature=feature, platform=platform)
        remove_task(path, ["zt"], feature=feature, platform=platform)
        assert path.read_text() == original, ("task", feature, platform)


# ---- the 333 manifests of ../shared/real-pixi (public repositories, ORIGINS.txt) ---------------
REAL_PIXI = Path(__file__).resolve().parents[2].parent / "shared" / "real-pixi"

#: Manifests in Pixi's own test data that Pixi refuses too (they test its error messages):
#: an empty file, a [workspace] without channels, a requires-pixi far in the future or not a
#: version spec, a pyproject.toml whose [tool.pixi] has no workspace table.
INVALID_IN_PIXI_TOO = {
    "prefix-dev__pixi/tests/data/discovery/invalid/pixi.toml": "has no 'channels'",
    "prefix-dev__pixi/tests/data/workspace-discovery/empty_manifest/pixi.toml": "has no [workspace] table",
    "prefix-dev__pixi/tests/data/workspace-discovery/missing-tables/pixi.toml": "has no [workspace] table",
    "prefix-dev__pixi/tests/data/workspace-discovery/missing-tables-pyproject/pyproject.toml":
        "has no [tool.pixi.workspace] table",
    "prefix-dev__pixi/tests/data/workspace-discovery/requires-newer-pixi/pixi.toml": "requires pixi >=100",
    "prefix-dev__pixi/tests/data/workspace-discovery/requires-newer-pixi-pyproject/pyproject.toml":
        "requires pixi >=100",
    "prefix-dev__pixi/tests/data/workspace-discovery/requires-newer-pixi-malformed/pixi.toml":
        "invalid version spec for requires-pixi",
    "prefix-dev__pixi/tests/data/workspace-discovery/requires-newer-pixi-malformed-pyproject/pyproject.toml":
        "invalid version spec for requires-pixi",
}

#: Why a real manifest is refused, by the words of its "not supported" message.
REFUSAL_REASONS = (
    ("building packages ([package], pixi build)", "pixi-build package manifest"),
    ("source/git/path conda dependencies", "source (path/git) conda dependency"),
    ("exclude-newer", "exclude-newer"),
    ("[dev]", "[dev] source packages"),
    ("solve-strategy", "solve-strategy lowest"),
    ("PyPI dependencies", "PyPI dependencies"),
    ("in the spec of", "spec key (when, extras, ...)"),
)


def _refusal_reason(message: str) -> str:
    assert "not supported by minipixi" in message, message
    return next(reason for words, reason in REFUSAL_REASONS if words in message)


def test_every_real_pixi_manifest_loads_or_is_refused_by_name():
    """All 333 manifests (pixi.toml and pyproject.toml) of 21 real repositories: each one loads,
    resolves every (environment, platform) and passes the conda-only check, or stops with a
    located "... not supported by minipixi" error that names what; never another error (apart
    from Pixi's own invalid test manifests, refused with Pixi's reason) and never a traceback."""
    from minipixi.manifest import require_conda_only

    if not REAL_PIXI.is_dir():
        pytest.skip("../shared/real-pixi is not present beside this checkout")
    paths = sorted(p for p in REAL_PIXI.rglob("*.toml") if p.name in ("pixi.toml", "pyproject.toml"))
    assert len(paths) == 333
    figures: dict[str, int] = {}
    invalid = {}
    read = 0  # manifests that load (a refusal may still come when an environment is solved)
    for path in paths:
        name = str(path.relative_to(REAL_PIXI))
        try:
            ws = read_manifest(path)
            read += 1
            for env in ws.environments:
                for platform in ws.environment_platforms(env):
                    resolved = ws.resolve(env, platform)
                    assert set(resolved.specs) == set(resolved.dependencies), name
                    require_conda_only(resolved, ws)
            outcome = "ok"
        except ManifestError as err:
            assert str(err.where).startswith(str(path)), (name, err.render())
            assert err.hint and "Traceback" not in err.render(), name
            if name in INVALID_IN_PIXI_TOO:
                invalid[name] = err.message
                outcome = "invalid in Pixi too"
            else:
                outcome = "refused: " + _refusal_reason(err.message)
        figures[outcome] = figures.get(outcome, 0) + 1
    assert set(invalid) == set(INVALID_IN_PIXI_TOO)
    for name, words in INVALID_IN_PIXI_TOO.items():
        assert words in invalid[name], (name, invalid[name])
    print("real-pixi manifests:", read, "read;", dict(sorted(figures.items(), key=lambda kv: -kv[1])))
    assert sum(figures.values()) == 333
    # Only the 90 pixi-build package manifests and Pixi's 8 invalid ones do not load at all.
    assert figures["refused: pixi-build package manifest"] == 90 and read == 333 - 90 - 8
    assert figures["ok"] >= 86


def test_real_pyproject_manifests_take_python_and_names_from_project():
    """pyproject.toml: [tool.pixi] is the manifest; [project] gives the name, requires-python
    the python dependency, and its dependencies / extras become PyPI dependencies of features."""
    if not REAL_PIXI.is_dir():
        pytest.skip("../shared/real-pixi is not present beside this checkout")
    ws = read_manifest(REAL_PIXI / "2320sharon__CoastSeg" / "pyproject.toml")
    assert ws.name == "coastseg"
    default = ws.features["default"].default
    text = (REAL_PIXI / "2320sharon__CoastSeg" / "pyproject.toml").read_text()
    assert ('python' in default.dependencies) and default.pypi_dependencies
    docker = read_manifest(REAL_PIXI / "prefix-dev__pixi" / "examples" / "docker" / "pyproject.toml")
    assert docker.resolve("default", docker.environment_platforms("default")[0]).dependencies["python"].version
    assert "[tool.pixi" in text
