"""Tasks: planning in dependency order, argument rendering, running and failing fast."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from minipixi.run.tasks import TaskError, build_steps, plan_tasks, render_command, run_steps


@dataclass
class T:
    cmd: str | list | None = None
    depends_on: list = field(default_factory=list)
    cwd: str | None = None
    env: dict = field(default_factory=dict)
    args: list = field(default_factory=list)


LESSON = {"lab": T("jupyter lab"), "start": T(None, ["lab"])}


def test_lesson_start_runs_lab():
    assert [n for n, _ in plan_tasks(LESSON, "start")] == ["lab", "start"]
    steps = build_steps(LESSON, "start")
    assert [(s.name, s.command) for s in steps] == [("lab", "jupyter lab"), ("start", None)]


def test_diamond_runs_each_task_once():
    tasks = {"a": T("a"), "b": T("b", ["a"]), "c": T("c", ["a"]), "d": T("d", ["b", "c"])}
    assert [n for n, _ in plan_tasks(tasks, "d")] == ["a", "b", "c", "d"]


def test_cycle_is_named():
    tasks = {"a": T("a", ["b"]), "b": T("b", ["c"]), "c": T("c", ["a"])}
    with pytest.raises(TaskError, match="a -> b -> c -> a"):
        plan_tasks(tasks, "a")


def test_missing_dependency_names_parent():
    with pytest.raises(TaskError, match="no task named 'lab' \\(a dependency of 'start'\\)") as info:
        plan_tasks({"start": T(None, ["lab"])}, "start")
    assert "minipixi task add lab" in info.value.hint


def test_args_defaults_and_placeholders():
    task = T("python train.py --epochs {{ epochs }} --lr {{lr}}", args=["epochs", {"arg": "lr", "default": "0.1"}])
    assert render_command("train", task, ["5"]) == "python train.py --epochs 5 --lr 0.1"
    assert render_command("train", task, ["5", "0.01"]) == "python train.py --epochs 5 --lr 0.01"
    with pytest.raises(TaskError, match="needs a value for its argument 'epochs'"):
        render_command("train", task, [])
    with pytest.raises(TaskError, match="takes 2 argument"):
        render_command("train", task, ["1", "2", "3"])


def test_extra_words_are_appended_and_quoted():
    assert render_command("t", T("echo"), ["a b", "c"]) == "echo 'a b' c"
    assert render_command("t", T(["python", "-c", "print(1)"]), []) == "python -c print(1)"


def test_dependency_with_args():
    tasks = {"greet": T("echo hi {{ who }}", args=["who"]), "main": T("true", [{"task": "greet", "args": ["bob"]}])}
    assert [s.command for s in build_steps(tasks, "main")] == ["echo hi bob", "true"]


def test_run_in_order_with_cwd_and_env(tmp_path):
    (tmp_path / "sub").mkdir()
    tasks = {
        "one": T("echo one:$PWD >> ../log", cwd="sub"),
        "two": T("echo two:$WHO >> log", ["one"], env={"WHO": "task-env"}),
    }
    started = []
    run_steps(build_steps(tasks, "two"), env=dict(os.environ), root=tmp_path, on_start=lambda s: started.append(s.name))
    assert started == ["one", "two"]
    assert (tmp_path / "log").read_text().splitlines() == [f"one:{tmp_path / 'sub'}", "two:task-env"]


def test_failing_task_stops_the_run(tmp_path):
    tasks = {"bad": T("exit 7"), "after": T("touch ran", ["bad"])}
    with pytest.raises(TaskError, match="task 'bad' failed with exit code 7") as info:
        run_steps(build_steps(tasks, "after"), env=dict(os.environ), root=tmp_path)
    assert info.value.exit_code == 7
    assert not (tmp_path / "ran").exists()


def test_missing_cwd(tmp_path):
    with pytest.raises(TaskError, match="does not exist"):
        run_steps(build_steps({"t": T("true", cwd="nope")}, "t"), env=dict(os.environ), root=tmp_path)


names = st.sampled_from(list("abcdefgh"))


@given(st.dictionaries(names, st.lists(names, max_size=3), min_size=1))
def test_plan_is_a_topological_order_or_a_cycle(graph):
    tasks = {n: T(n, [d for d in deps if d in graph]) for n, deps in graph.items()}
    for root in tasks:
        try:
            plan = [n for n, _ in plan_tasks(tasks, root)]
        except TaskError as err:
            assert "cycle" in err.message
            continue
        assert plan[-1] == root and len(plan) == len(set(plan))
        for i, name in enumerate(plan):
            for dep, _ in [(d, None) for d in tasks[name].depends_on]:
                assert dep in plan[:i]
