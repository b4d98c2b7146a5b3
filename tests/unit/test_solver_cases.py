"""Solver case files (tests/cases/solve/*.yaml): an index, the request, and the answer.

Each case gives channels (in priority order) with their records, the requested specs, the
platform and its declared virtual packages (as ``default_virtual_packages`` keywords, or an
explicit ``virtual_list``), and either ``resolved`` ("name version build" lines) or
``conflicted`` with the exact explanation and hint. The explanations are snapshots: a change of
wording fails here and shows up as a reviewed diff of the YAML.

To see what the solver says for a case: ``python tests/unit/test_solver_cases.py NAME``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from minipixi.errors import SolveError
from minipixi.records import PackageRecord
from minipixi.solver import MergedSource, RecordIndex, SolveTask, find_violations, solve
from minipixi.channel.virtual_packages import default_virtual_packages, virtual_record

CASES = Path(__file__).resolve().parent.parent / "cases" / "solve"


def load_case(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def record_of(entry: dict, subdir: str, channel: str) -> PackageRecord:
    features = entry.get("track_features", ())
    return PackageRecord(
        name=entry["name"], version=str(entry["version"]), build=str(entry["build"]),
        build_number=entry.get("build_number", 0), depends=tuple(entry.get("depends", ())),
        constrains=tuple(entry.get("constrains", ())), subdir=entry.get("subdir", subdir),
        track_features=tuple(features.split() if isinstance(features, str) else features),
        timestamp=entry.get("timestamp"), channel=channel,
        fn=f"{entry['name']}-{entry['version']}-{entry['build']}.conda",
    )


def task_of(case: dict) -> SolveTask:
    platform = case.get("platform", "linux-64")
    sources = []
    for channel in case["channels"]:
        subdirs = channel.get("subdirs") or {platform: channel["records"]}
        tier = [RecordIndex([record_of(e, subdir, channel["name"]) for e in entries], label=f"{channel['name']}")
                for subdir, entries in subdirs.items()]
        sources.append(tier[0] if len(tier) == 1 else MergedSource(tier, label=channel["name"]))
    if "virtual_list" in case:
        virtual = [virtual_record(*text.split("=")) for text in case["virtual_list"]]
    else:
        virtual = default_virtual_packages(platform, **case.get("virtual_packages", {}))
    return SolveTask(
        specs=case["requested"], sources=sources, virtual_packages=virtual,
        constraints=case.get("constraints", []), platform=platform, label=case.get("label"),
        locked=[_find(case, text) for text in case.get("locked", [])],
        pinned=[_find(case, text) for text in case.get("pinned", [])],
        channel_priority=case.get("channel_priority", "strict"),
    )


def _find(case: dict, text: str) -> PackageRecord:
    """A locked/pinned record, named "name version build", from the case's channels."""
    name, version, build = text.split()
    for channel in case["channels"]:
        for subdir, entries in (channel.get("subdirs") or {case.get("platform", "linux-64"): channel["records"]}).items():
            for entry in entries:
                if (entry["name"], str(entry["version"]), str(entry["build"])) == (name, version, build):
                    return record_of(entry, subdir, channel["name"])
    raise KeyError(text)


def outcome(case: dict) -> dict:
    task = task_of(case)
    try:
        solution = solve(task)
    except SolveError as error:
        return {"conflicted": {"explanation": error.details + "\n", "hint": error.hint}, "error": error}
    return {"resolved": [f"{r.name} {r.version} {r.build}" for r in solution], "solution": solution, "task": task}


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_case(path: Path):
    case = load_case(path)
    got = outcome(case)
    if "resolved" in case:
        assert "resolved" in got, got.get("conflicted")
        assert got["resolved"] == sorted(case["resolved"])
        assert find_violations(got["solution"], case["requested"], virtual_packages=got["task"].virtual_packages,
                               constraints=case.get("constraints", [])) == []
    else:
        assert "conflicted" in got, f"solved: {got.get('resolved')}"
        assert got["conflicted"]["explanation"] == case["conflicted"]["explanation"]
        assert got["conflicted"]["hint"] == case["conflicted"]["hint"]


def test_there_are_cases():
    assert len(list(CASES.glob("*.yaml"))) >= 8


if __name__ == "__main__":  # show what the solver says, to review a new or changed case
    for name in sys.argv[1:] or [p.stem for p in sorted(CASES.glob("*.yaml"))]:
        result = outcome(load_case(CASES / f"{name}.yaml"))
        print(f"## {name}")
        print(yaml.safe_dump({k: v for k, v in result.items() if k in ("resolved", "conflicted")},
                             width=200, sort_keys=False))
