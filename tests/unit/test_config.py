"""Config: files merge user then workspace, offline mode maps conda-forge to the teaching mirror."""

from __future__ import annotations

import pytest

from minipixi.config import CONDA_FORGE_URL, cache_dir, home_dir, load_config, teaching_channel_url
from minipixi.errors import MinipixiError


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIPIXI_OFFLINE", raising=False)
    (tmp_path / "home").mkdir()


def test_defaults_have_no_mirrors(tmp_path):
    config = load_config(tmp_path)
    assert not config.offline and config.effective_mirrors() == {}


@pytest.mark.parametrize("how", ["flag", "env", "file"])
def test_three_ways_to_go_offline(tmp_path, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("MINIPIXI_OFFLINE", "1")
    if how == "file":
        (tmp_path / ".pixi").mkdir()
        (tmp_path / ".pixi" / "config.toml").write_text("offline = true\n")
    config = load_config(tmp_path, offline=(how == "flag"))
    assert config.offline
    assert config.effective_mirrors()[CONDA_FORGE_URL] == [teaching_channel_url()]
    assert teaching_channel_url().startswith("file://")


def test_workspace_mirrors_override_user_mirrors(tmp_path):
    (tmp_path / "home" / "config.toml").write_text('[mirrors]\n"https://a/x/" = ["https://user"]\n"https://b" = ["https://keep"]\n')
    (tmp_path / ".pixi").mkdir()
    (tmp_path / ".pixi" / "config.toml").write_text('[mirrors]\n"https://a/x/" = ["https://workspace"]\n')
    config = load_config(tmp_path)
    assert config.effective_mirrors() == {"https://a/x": ["https://workspace"], "https://b": ["https://keep"]}
    assert len(config.sources) == 2


def test_bad_config_names_file_and_line(tmp_path):
    (tmp_path / ".pixi").mkdir()
    (tmp_path / ".pixi" / "config.toml").write_text("offline = true\n[mirrors\n")
    with pytest.raises(MinipixiError) as info:
        load_config(tmp_path)
    assert str(info.value.where).endswith("config.toml:2:9") or ":2:" in str(info.value.where)
    (tmp_path / ".pixi" / "config.toml").write_text('[mirrors]\n"https://a" = "not-a-list"\n')
    with pytest.raises(MinipixiError, match="must map a channel URL to a list"):
        load_config(tmp_path)


def test_folders_follow_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" and home_dir() == tmp_path / "home"
    monkeypatch.delenv("MINIPIXI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "minipixi"


# ---- Pixi's environment variables (config.PIXI_VARIABLES) --------------------------------------
@pytest.fixture
def no_pixi_variables(monkeypatch):
    from minipixi.config import PIXI_VARIABLES, UNSUPPORTED_PIXI_VARIABLES

    for name in [*PIXI_VARIABLES, *UNSUPPORTED_PIXI_VARIABLES, "MINIPIXI_PLATFORM"]:
        monkeypatch.delenv(name, raising=False)


def test_pixi_home_and_cache_dir_are_honoured_and_minipixi_names_win(tmp_path, monkeypatch, no_pixi_variables):
    monkeypatch.delenv("MINIPIXI_HOME")
    monkeypatch.delenv("MINIPIXI_CACHE_DIR", raising=False)
    monkeypatch.setenv("PIXI_HOME", str(tmp_path / "ph"))
    monkeypatch.setenv("PIXI_CACHE_DIR", str(tmp_path / "pc"))
    assert home_dir() == tmp_path / "ph" / "minipixi"  # beside Pixi's own files, never among them
    assert cache_dir() == tmp_path / "pc" / "minipixi"
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "mh"))
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "mc"))
    assert (home_dir(), cache_dir()) == (tmp_path / "mh", tmp_path / "mc")


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("false", False), ("no", False),
                                                  ("1", True), ("TRUE", True), ("yes", True), ("on", True)])
def test_yes_no_variables_read_like_pixis_flags(monkeypatch, value, expected):
    from minipixi.config import flag

    monkeypatch.setenv("PIXI_FROZEN", value)
    assert flag("PIXI_FROZEN") is expected


def test_a_yes_no_variable_with_another_value_is_an_error(monkeypatch):
    from minipixi.config import flag

    monkeypatch.setenv("PIXI_LOCKED", "maybe")
    with pytest.raises(MinipixiError, match="PIXI_LOCKED='maybe' is not true or false"):
        flag("PIXI_LOCKED")


def test_unsupported_pixi_variables_are_errors_naming_them(monkeypatch, no_pixi_variables):
    from minipixi.config import pixi_environment

    pixi_environment()  # none set: fine
    monkeypatch.setenv("PIXI_NO_HARD_LINKS", "1")
    with pytest.raises(MinipixiError, match="PIXI_NO_HARD_LINKS is not supported by minipixi"):
        pixi_environment()


def test_pixi_override_platform_is_passed_on_as_minipixi_platform(monkeypatch, no_pixi_variables):
    import os

    from minipixi.config import pixi_environment

    monkeypatch.setenv("PIXI_OVERRIDE_PLATFORM", "osx-arm64")
    pixi_environment()
    assert os.environ["MINIPIXI_PLATFORM"] == "osx-arm64"
    monkeypatch.setenv("MINIPIXI_PLATFORM", "win-64")  # the minipixi name wins
    pixi_environment()
    assert os.environ["MINIPIXI_PLATFORM"] == "win-64"


def test_pixi_no_config_and_pixi_config_file(tmp_path, monkeypatch, no_pixi_variables):
    (tmp_path / "home" / "config.toml").write_text("offline = true\n")
    assert load_config(None).offline
    monkeypatch.setenv("PIXI_NO_CONFIG", "1")
    assert not load_config(None).offline and load_config(None).sources == ()
    monkeypatch.delenv("PIXI_NO_CONFIG")
    other = tmp_path / "other.toml"
    other.write_text('[mirrors]\n"https://a" = ["https://b"]\n')
    monkeypatch.setenv("PIXI_CONFIG_FILE", str(other))
    config = load_config(None)
    assert config.sources == (other,) and not config.offline and config.mirrors == {"https://a": ["https://b"]}
    monkeypatch.setenv("PIXI_CONFIG_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(MinipixiError, match="PIXI_CONFIG_FILE"):
        load_config(None)


def test_pixi_frozen_acts_as_frozen_and_version_names_pixi(tmp_path, monkeypatch, capsys, no_pixi_variables):
    from minipixi import PIXI_VERSION, __version__
    from minipixi.cli import main

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"minipixi {__version__} (follows pixi {PIXI_VERSION})"
    (tmp_path / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\nname = "w"\nplatforms = []\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIXI_FROZEN", "1")
    assert main(["install"]) == 1
    assert "--frozen never creates it" in capsys.readouterr().err
    monkeypatch.setenv("PIXI_LOCKED", "1")
    assert main(["install"]) == 1
    assert "--locked and --frozen cannot be used together" in capsys.readouterr().err
    assert not (tmp_path / "pixi.lock").exists()


def test_minipixi_offline_is_read_like_the_other_yes_no_variables(tmp_path, monkeypatch):
    """MINIPIXI_OFFLINE=0 means online and a typo is an error naming it, not silently "online"."""
    from minipixi.config import load_config

    monkeypatch.setenv("MINIPIXI_OFFLINE", "0")
    assert load_config(tmp_path).offline is False
    monkeypatch.setenv("MINIPIXI_OFFLINE", "True")
    assert load_config(tmp_path).offline is True
    monkeypatch.setenv("MINIPIXI_OFFLINE", "ofline")
    with pytest.raises(MinipixiError, match="MINIPIXI_OFFLINE='ofline' is not true or false"):
        load_config(tmp_path)
