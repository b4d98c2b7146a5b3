"""Shared test set-up: hypothesis profiles, the corpus location, and py-rattler.

- Hypothesis profiles: ``ci`` (the default; a fixed budget, derandomized, so CI never flakes)
  and ``thorough`` (``HYPOTHESIS_PROFILE=thorough pytest``: many more examples, random seeds,
  for long local runs that hunt for new counterexamples).
- ``corpus_dir``: ``../shared/corpus`` next to the checkout (or ``MINIPIXI_CORPUS``); tests that
  use it are marked ``corpus`` and skip cleanly when it is absent.
- ``rattler``: the py-rattler module, or a clean skip when it is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parent.parent


def find_corpus() -> Path | None:
    """Where the shared corpus lives, or None when this checkout has none beside it."""
    env = os.environ.get("MINIPIXI_CORPUS")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "corpus")
    for path in candidates:
        if path.is_dir():
            return path
    return None


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = find_corpus()
    if path is None:
        pytest.skip("../shared/corpus is not present beside this checkout")
    return path


@pytest.fixture(scope="session")
def rattler():
    return pytest.importorskip("rattler", reason="py-rattler is not installed")


# ---- workflow fixtures: a scratch workspace on the offline teaching channel ----------------

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
