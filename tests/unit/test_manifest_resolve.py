"""Resolution: environment x platform -> channels, specs, virtual packages, tasks (Pixi's rules)."""

from __future__ import annotations

import pytest

from minipixi.errors import ManifestError
from minipixi.manifest import PlatformEntry, SystemRequirements, parse_manifest
from minipixi.manifest.resolve import merge_system_requirements, target_rank

BASE = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64", "osx-arm64", "win-64"]\n'


def ws(body: str, head: str = BASE):
    return parse_manifest(head + body, "pixi.toml")


def test_features_union_and_default_feature():
    w = ws('[dependencies]\npython = "3.12.*"\n[feature.gpu.dependencies]\ncuda-version = "12.*"\n'
           '[environments]\ngpu = ["gpu"]\nbare = { features = ["gpu"], no-default-feature = true }\n')
    assert set(w.resolve("gpu", "linux-64").dependencies) == {"python", "cuda-version"}
    assert set(w.resolve("bare", "linux-64").dependencies) == {"cuda-version"}
    assert set(w.resolve("default", "linux-64").dependencies) == {"python"}


def test_environment_platforms_are_the_intersection_of_feature_platforms():
    w = ws('[feature.gpu]\nplatforms = ["linux-64", "win-64"]\n[feature.linux]\nplatforms = ["linux-64", "osx-arm64"]\n'
           '[environments]\ngpu = ["gpu"]\nboth = ["gpu", "linux"]\n')
    assert w.environment_platforms("gpu") == ("linux-64", "win-64")
    assert w.environment_platforms("both") == ("linux-64",)
    assert w.environment_platforms("default") == ("linux-64", "osx-arm64", "win-64")
    with pytest.raises(ManifestError, match="does not support the platform 'osx-arm64'") as info:
        w.resolve("gpu", "osx-arm64")
    assert "linux-64, win-64" in info.value.hint


def test_target_tables_override_from_least_to_most_specific():
    w = ws('[dependencies]\nx = "1.*"\n[target.unix.dependencies]\nx = "2.*"\n[target.linux.dependencies]\nx = "3.*"\n'
           '[target.linux-64.dependencies]\nx = "4.*"\n')
    assert w.resolve("default", "linux-64").dependencies["x"].version == "4.*"
    assert w.resolve("default", "osx-arm64").dependencies["x"].version == "2.*"
    assert w.resolve("default", "win-64").dependencies["x"].version == "1.*"


def test_target_rank_for_rich_names_globs_subdirs_and_families():
    rich = PlatformEntry("cuda-linux-64", "linux-64", {"cuda": "12"}, rich=True)
    ranks = [target_rank(s, rich) for s in ("unix", "linux", "linux-64", "cuda-*", "cuda-linux-64", "win", "osx-arm64")]
    assert ranks == [1, 2, 3, 4, 5, None, None]


def test_rich_platform_targets_and_virtual_packages():
    head = ('[workspace]\nchannels = ["conda-forge"]\nplatforms = [\n'
            '  { name = "cuda-linux-64", platform = "linux-64", cuda = "12" },\n  "linux-64",\n'
            '  { platform = "osx-arm64", macos = "13.5" },\n]\n')
    w = ws('[tasks]\ntrain = "python train.py"\n[target.cuda-linux-64.tasks]\ntrain = "python train.py --cuda"\n'
           '[target.osx.dependencies]\nmlx = "*"\n', head)
    cuda = w.resolve("default", "cuda-linux-64")
    assert cuda.subdir == "linux-64" and cuda.virtual_packages == {"__cuda": "12"}
    assert cuda.tasks["train"].cmd == "python train.py --cuda"
    assert w.resolve("default", "linux-64").tasks["train"].cmd == "python train.py"
    assert w.resolve("default", "linux-64").virtual_packages == {}
    osx = w.resolve("default", "osx-arm64-macos-13-5")
    assert osx.virtual_packages == {"__osx": "13.5"} and "mlx" in osx.dependencies
    assert w.resolve("default", "osx-arm64").platform == "osx-arm64-macos-13-5"  # a subdir names one entry


def test_a_subdir_shared_by_two_entries_is_ambiguous():
    head = ('[workspace]\nchannels = ["c"]\nplatforms = [{ name = "a", platform = "linux-64" }, '
            '{ name = "b", platform = "linux-64", cuda = "12" }]\n')
    with pytest.raises(ManifestError, match="ambiguous"):
        ws("", head).resolve("default", "linux-64")


def test_highest_system_requirement_wins_and_only_where_it_applies():
    w = ws('[system-requirements]\ncuda = "12"\n[feature.jax.system-requirements]\ncuda = "12.6"\n'
           '[environments]\njax = ["jax"]\n')
    assert w.resolve("jax", "linux-64").virtual_packages == {"__cuda": "12.6"}
    assert w.resolve("default", "win-64").virtual_packages == {"__cuda": "12"}
    assert w.resolve("default", "osx-arm64").virtual_packages == {}  # no CUDA on macOS


def test_conflicting_archspecs_are_an_error():
    with pytest.raises(ManifestError, match="archspec"):
        merge_system_requirements([SystemRequirements(archspec="foo"), SystemRequirements(archspec="bar")])


def test_channels_merge_by_priority_then_feature_order():
    w = ws('[feature.cuda]\nchannels = ["nvidia", { channel = "pytorch", priority = -1 }]\n'
           '[feature.top]\nchannels = [{ channel = "mine", priority = 5 }]\n'
           '[environments]\ncuda = ["cuda"]\nall = ["cuda", "top"]\n')
    assert w.resolve("cuda", "linux-64").channels == ("nvidia", "conda-forge", "pytorch")
    assert w.resolve("all", "linux-64").channels == ("mine", "nvidia", "conda-forge", "pytorch")


def test_specs_from_two_features_are_combined():
    w = ws('[dependencies]\npython = ">=3.8"\n[feature.old.dependencies]\npython = "<=3.10"\n'
           '[environments]\nold = ["old"]\n')
    assert w.resolve("old", "linux-64").dependencies["python"].version == "<=3.10,>=3.8"


def test_specs_become_matchspecs():
    w = ws('[dependencies]\nnumpy = ">=2.3.0,<3"\npytorch = { version = "2.7.*", build = "cuda*" }\n')
    specs = w.resolve("default", "linux-64").specs
    assert specs["numpy"].name == "numpy"
    assert str(specs["pytorch"].build) == "cuda*"


def test_listed_features_win_over_default_for_tasks_and_activation():
    w = ws('[tasks]\ntest = "pytest"\n[activation]\nscripts = ["base.sh"]\nenv = { MODE = "cpu" }\n'
           '[feature.gpu.tasks]\ntest = "pytest --gpu"\n[feature.gpu.activation]\nscripts = ["gpu.sh"]\nenv = { MODE = "gpu" }\n'
           '[environments]\ngpu = ["gpu"]\n')
    resolved = w.resolve("gpu", "linux-64")
    assert resolved.tasks["test"].cmd == "pytest --gpu"
    assert resolved.activation.scripts == ("base.sh", "gpu.sh")
    assert resolved.activation.env == {"MODE": "gpu"}


def test_pypi_dependencies_are_kept_and_refused_clearly():
    from minipixi.manifest import require_conda_only

    w = ws('[pypi-dependencies]\nrequests = ">=2"\n')
    resolved = w.resolve("default", "linux-64")
    assert resolved.pypi_dependencies["requests"].requirement == ">=2"
    with pytest.raises(ManifestError, match="cannot solve yet") as info:
        require_conda_only(resolved, w)
    assert "requests" in info.value.message


def test_unknown_environment_names_the_known_ones():
    with pytest.raises(ManifestError) as info:
        ws("").resolve("gpu", "linux-64")
    assert "default" in info.value.hint


def test_virtual_package_options_match_the_virtual_packages_module():
    from minipixi.channel.virtual_packages import default_virtual_packages

    w = ws('[system-requirements]\ncuda = "12"\nlibc = { family = "glibc", version = "2.31" }\n')
    resolved = w.resolve("default", "linux-64")
    records = default_virtual_packages(resolved.subdir, **resolved.virtual_package_options())
    versions = {r.name: r.version for r in records}
    assert versions["__cuda"] == "12" and versions["__glibc"] == "2.31"


def test_features_asking_for_different_builds_clash_with_the_manifest_named():
    w = ws('[dependencies]\npytorch = { version = "2.*", build = "cpu*" }\n'
           '[feature.gpu.dependencies]\npytorch = { version = "2.7.*", build = "cuda*" }\n[environments]\ngpu = ["gpu"]\n')
    with pytest.raises(ManifestError, match="different builds of 'pytorch'") as info:
        w.resolve("gpu", "linux-64")
    assert str(info.value.where) == "pixi.toml"
    assert w.resolve("default", "linux-64").dependencies["pytorch"].build == "cpu*"


def test_virtual_package_options_for_musl_windows_and_archspec():
    from minipixi.channel.virtual_packages import default_virtual_packages

    head = ('[workspace]\nchannels = ["c"]\nplatforms = ["linux-64", { name = "w", platform = "win-64", windows = "11", '
            'archspec = "x86_64_v3" }]\n')
    w = ws('[system-requirements]\nlibc = { family = "musl", version = "1.2" }\n', head)
    linux = w.resolve("default", "linux-64")
    assert linux.virtual_packages == {"__musl": "1.2"}
    win = w.resolve("default", "w")
    assert win.virtual_packages == {"__archspec": "x86_64_v3", "__win": "11"}
    records = {r.name: (r.version, r.build) for r in default_virtual_packages(win.subdir, **win.virtual_package_options())}
    assert records["__win"][0] == "11" and records["__archspec"] == ("1", "x86_64_v3")
    records = {r.name: r.version for r in default_virtual_packages(linux.subdir, **linux.virtual_package_options())}
    assert records["__musl"] == "1.2" and "__glibc" not in records


def test_no_default_feature_still_uses_the_workspace_channels(tmp_path):
    """Pixi solves an environment without the default feature with the workspace's channels."""
    from minipixi.manifest import read_manifest

    (tmp_path / "pixi.toml").write_text(
        '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
        '[feature.a.dependencies]\npython = "*"\n\n'
        '[environments]\nlean = { features = ["a"], no-default-feature = true }\n')
    resolved = read_manifest(tmp_path / "pixi.toml").resolve("lean", "linux-64")
    assert resolved.channels == ("conda-forge",) and "python" in resolved.dependencies
