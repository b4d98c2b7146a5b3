"""The pin `add` writes for a package named without a version (`manifest/pins.py`)."""

from __future__ import annotations

import pytest

from minipixi.manifest import read_manifest
from minipixi.manifest.edit_dependencies import add_dependencies
from minipixi.manifest.pins import pin_for_version, solved_pin, upper_bound


@pytest.mark.parametrize(("version", "name", "upper"), [
    ("2.3.1", "numpy", "<3"),
    ("0.22.0", None, "<0.23"),
    ("3.13.3", "python", "<3.14"),
    ("1!2.0", None, "<3"),          # the epoch is not the major version
    ("2024a", "tzdata", "<2025"),
    ("custom", None, None),         # no number: nothing to bound
    ("latest", "python", None),
])
def test_upper_bound_is_the_second_half_of_the_pin(version, name, upper):
    assert upper_bound(version, name=name) == upper
    assert pin_for_version(version, name=name) == f">={version}" + (f",{upper}" if upper else "")


@pytest.mark.parametrize(("lowest", "highest", "name", "pin"), [
    ("2.2.6", "2.3.1", "numpy", ">=2.2.6,<3"),
    ("3.12.1", "3.12.9", "python", ">=3.12.1,<3.13"),
    ("0.9", "0.10.2", "x", ">=0.9,<0.11"),
    ("1.0", "latest", "x", ">=1.0"),      # used to raise IndexError (cut from ">=latest")
    ("custom", "custom", "x", ">=custom"),
])
def test_solved_pin_spans_every_platform(lowest, highest, name, pin):
    assert solved_pin(lowest, highest, name) == pin


def test_a_pin_for_a_version_without_digits_is_a_valid_manifest(tmp_path):
    manifest = tmp_path / "pixi.toml"
    manifest.write_text('[workspace]\nchannels = ["conda-forge"]\nname = "p"\nplatforms = ["linux-64"]\n\n'
                        "[dependencies]\n")
    add_dependencies(manifest, ["mytool"], pin=lambda spec: solved_pin("nightly", "nightly", spec.name))
    assert read_manifest(manifest).default_feature.default.dependencies["mytool"].version == ">=nightly"
