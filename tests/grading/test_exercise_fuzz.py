"""Hypothesis mutates the reference solutions of every exercise (drops, repeats and garbles
lines of one file, or replaces it with random text): the grader never raises, every check
answers with feedback, and no check falls back to "the grader could not check this", which
would mean a check crashed instead of explaining."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minipixi.teaching.grade import grade, load_exercise

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(p.name for p in (ROOT / "exercises").iterdir() if (p / "checks.py").is_file())
CRASHED = "the grader could not check this"
NOISE = ["", "#", "%post", "[tasks]", "jobs: [", "on: 3", "FROM", "COPY --from=", "queue", "#SBATCH --time",
         "  - uses:", "with: [1, 2]", "@EXPLICIT", "https://x/y.conda#", "platforms = 3", "\t- x", "{", "}",
         "lab = 7", "Bootstrap: docker", "%files from", "transfer_input_files = ,", "push: []"]


def solution_files(name: str) -> list[Path]:
    folder = ROOT / "exercises" / name / "solution"
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@st.composite
def mutation(draw, lines: list[str]):
    """A mutated copy of `lines`: each line kept, dropped, doubled or replaced by noise."""
    out = []
    for line in lines:
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "double", "noise"]))
        if action == "keep":
            out.append(line)
        elif action == "double":
            out += [line, line]
        elif action == "noise":
            out.append(draw(st.sampled_from(NOISE) | st.text(max_size=30)))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    os.environ.setdefault("MINIPIXI_CACHE_DIR", str(tmp_path_factory.mktemp("grade-cache")))


@pytest.mark.parametrize("name", EXERCISES)
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.nested_given])
@given(data=st.data())
def test_mutated_solutions_never_crash_a_check(name, tmp_path_factory, data):
    exercise = load_exercise(str(ROOT / "exercises" / name))
    folder = tmp_path_factory.mktemp("mutated")
    shutil.copytree(ROOT / "exercises" / name / "solution", folder, dirs_exist_ok=True)
    target = data.draw(st.sampled_from(solution_files(name)))
    lines = (folder / target).read_text().splitlines()
    text = data.draw(mutation(lines) | st.text(max_size=200))
    (folder / target).write_text(text)
    report = grade(exercise, folder)
    assert 0 <= report.score <= report.max_score
    crashed = {r.name: r.message for r in report.results if CRASHED in r.message or not r.message}
    assert not crashed, (str(target), text)
