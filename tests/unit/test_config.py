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
