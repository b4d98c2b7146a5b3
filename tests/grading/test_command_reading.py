"""teaching/reading/ (commands, shell, dockerfile, workflow): learner commands are read with real
parsers and walked like a shell or GitHub Actions would, without running anything. Tables of what
is reached, what an expression evaluates to, and a property: any text either reads or fails with
CommandSyntaxError."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from minipixi.teaching.reading.commands import CommandSyntaxError, reached, unwrap
from minipixi.teaching.reading.dockerfile import dockerfile_instructions, key_values
from minipixi.teaching.reading.shell import parse_bash, parse_task
from minipixi.teaching.reading.workflow import (
    evaluate_expression, evaluate_setting, parse_expression, step_runs,
)


def started(tree) -> list[str]:
    return [" ".join(call.words) for call in reached(tree) if call.words]


@pytest.mark.parametrize("text, expected", [
    ("a && b || c", ["a", "b", "c"]),
    ("true || b", ["true"]),
    ("false && b; c", ["false", "c"]),
    ("exit 1; b", ["exit 1"]),
    ("(exit 1) | b; c", ["exit 1", "b", "c"]),
    ("if false; then a; else b; fi", ["false", "b"]),
    ("if true; then a; elif c; then d; fi", ["true", "a"]),
    ("while false; do a; done; b", ["false", "b"]),
    ("f() { a; }; b", ["b"]),
    ("f() { a; }; f", ["f", "a"]),
    ("echo \"pixi run -e gpu\"", ["echo pixi run -e gpu"]),
    ("[[ -f x ]] && a", ["[ -f x ]", "a"]),
    ("x=$((1 + 2)); time a", ["a"]),
    ("case $1 in\n  a) b;;\nesac\nc", ["c"]),
    ("! true && a; b", ["true", "b"]),
    ("{ a; exit 0; }; b", ["a", "exit 0"]),
])
def test_bash_reachability(text, expected):
    assert started(parse_bash(text)) == expected


def test_substitutions_are_commands_with_their_consumer():
    calls = reached(parse_bash('eval "$(pixi shell-hook -e gpu)"\n. <(sed "$d" /app/entrypoint.sh)'))
    assert [(c.words[:2], c.consumer) for c in calls] == [
        (("pixi", "shell-hook"), "eval"), (("eval", "$(pixi shell-hook -e gpu)"), None),
        (("sed", "$d"), "."), ((".", '<(sed "$d" /app/entrypoint.sh)'), None)]


@pytest.mark.parametrize("text, expected", [
    ("jupyter lab", ["jupyter lab"]), ("true || jupyter lab", ["true"]), ("false && a || b", ["false", "b"]),
    ("A=1 a | b; c", ["a", "b", "c"]), ("exit 0; a", ["exit 0"]), ("echo 'jupyter lab'", ["echo jupyter lab"]),
])
def test_task_shell_reachability(text, expected):
    assert started(parse_task(text)) == expected


def test_task_shell_refuses_what_it_cannot_run():
    with pytest.raises(CommandSyntaxError):
        parse_task("if true; then jupyter lab; fi")


@pytest.mark.parametrize("words, expected", [
    (("exec", "pixi", "run"), ("pixi", "run")), (("env", "A=1", "-u", "pixi"), ("pixi",)),
    (("srun", "-n", "1", "--gres=gpu:1", "pixi", "run"), ("pixi", "run")), (("python",), ("python",)),
])
def test_unwrap(words, expected):
    assert unwrap(words) == expected


def test_dockerfile_instructions_join_lines_and_drop_comments():
    text = "# c\nFROM a AS b\nRUN x \\\n  && y\nENTRYPOINT [\"/e.sh\"]\n"
    found = dockerfile_instructions(text)
    assert [i.keyword for i in found] == ["FROM", "RUN", "ENTRYPOINT"]
    assert found[2].exec_form() == ["/e.sh"] and found[1].exec_form() is None
    assert started(found[1].shell_tree()) == ["x", "y"]


@pytest.mark.parametrize("value, expected", [
    ("A=1 B='two words'", {"A": "1", "B": "two words"}), ("A 1", {"A": "1"}), ("", {}),
])
def test_key_values(value, expected):
    assert key_values(value) == expected


PUSH = {"github": {"event_name": "push", "ref": "refs/heads/main"}}
PR = {"github": {"event_name": "pull_request", "ref": "refs/pull/7/merge", "event": {"pull_request": {"number": 7}}}}


@pytest.mark.parametrize("expression, push, pull_request", [
    ("github.event_name != 'pull_request'", True, False),
    ("github.event_name != 'pull_request' && false", False, False),
    ("github.event_name == 'PUSH'", True, False),  # strings compare case-insensitively
    ("startsWith(github.ref, 'refs/heads/')", True, False),
    ("github.event.pull_request == null", True, False),
    ("!github.event.pull_request", True, False),
    ("github.event_name == 'push' || github.ref == 'refs/heads/main'", True, False),
    ("(1 == '1') && !(0)", True, True),
    ("contains(fromJSON('[]'), 'x') || true", True, True),
])
def test_expressions(expression, push, pull_request):
    assert bool(evaluate_expression(expression, PUSH)) is push
    assert bool(evaluate_expression(expression, PR)) is pull_request


def test_settings_and_ifs():
    assert evaluate_setting("${{ github.event_name != 'pull_request' }}", PR) is False
    assert evaluate_setting("ghcr.io/${{ github.event_name }}:gpu", PUSH) == "ghcr.io/push:gpu"
    assert step_runs("${{ false }}", PUSH) is False and step_runs(None, PUSH) is True
    with pytest.raises(CommandSyntaxError):
        parse_expression("github.event_name ==")


@given(st.text(max_size=120))
def test_any_text_reads_or_fails_cleanly(text):
    for parse in (parse_bash, parse_task, parse_expression):
        try:
            parse(text)
        except CommandSyntaxError:
            pass
    try:
        dockerfile_instructions(text)
    except CommandSyntaxError:
        pass


@given(st.text(alphabet="ab;&|!(){}$\"' \n", max_size=40))
def test_shell_like_text_reads_or_fails_cleanly(text):
    for parse in (parse_bash, parse_task):
        try:
            reached(parse(text))
        except CommandSyntaxError:
            pass
