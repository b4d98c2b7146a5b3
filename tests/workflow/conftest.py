"""Fixtures for end-to-end workflow tests: a scratch workspace on the offline teaching channel."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One package cache for the whole session: extraction happens once per package."""
    return tmp_path_factory.mktemp("minipixi-cache")


@pytest.fixture
def offline(monkeypatch, shared_cache, tmp_path):
    monkeypatch.setenv("MINIPIXI_OFFLINE", "1")
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(shared_cache))
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONDA_OVERRIDE_CUDA", raising=False)
    monkeypatch.setenv("MINIPIXI_PLATFORM", "linux-64")
