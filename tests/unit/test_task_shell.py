"""The task shell: a table of command lines with their output and exit code, the refusals, and
a round trip from `quote` through the parser for any word hypothesis can make."""

from __future__ import annotations

import os
import sys
import tempfile

import pytest
from hypothesis import given, strategies as st

from minipixi.run import task_shell
from minipixi.run.task_shell import TaskShellError

PY = sys.executable  # a real program that exists on every OS the tests run on


def run(script: str, cwd, env=None) -> tuple[int, str, str]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = task_shell.run(script, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err)
        out.seek(0), err.seek(0)
        return code, out.read().decode(), err.read().decode()


TABLE = [
    # (script, exit code, stdout)
    ("echo a && echo b", 0, "a\nb\n"),
    ("false && echo no", 1, ""),
    ("false || echo yes", 0, "yes\n"),
    ("true || echo no", 0, ""),
    ("false; echo after", 0, "after\n"),
    ("false; echo $?", 0, "1\n"),
    ("! false", 0, ""),
    ("! true", 1, ""),
    ("exit 3", 3, ""),
    ("echo before; exit 4; echo never", 4, "before\n"),
    ("X=1; echo $X ${X}", 0, "1 1\n"),
    ("X=1 && echo \"[$X]\" '[$X]'", 0, "[1] [$X]\n"),
    ("echo 'a  b' \"c  d\" e\\ f", 0, "a  b c  d e f\n"),
    ("echo a # a comment", 0, "a\n"),
    ("echo $NOT_SET_ANYWHERE.", 0, ".\n"),
    ("export Y=2 && {py} -c \"import os; print(os.environ['Y'])\"", 0, "2\n"),
    ("Y=3 {py} -c \"import os; print(os.environ.get('Y'))\"; echo \"[$Y]\"", 0, "3\n[]\n"),
    ("Y=4; {py} -c \"import os; print(os.environ.get('Y'))\"", 0, "None\n"),
    ("export Y=5; unset Y; echo \"[$Y]\"", 0, "[]\n"),
    ("{py} -c \"print('hi')\" | {py} -c \"import sys; print(sys.stdin.read().upper(), end='')\"", 0, "HI\n"),
    ("echo piped | {py} -c \"import sys; print(len(sys.stdin.read()))\"", 0, "6\n"),
    ("{py} -c \"import sys; sys.exit(5)\"", 5, ""),
    ("{py} -c \"import sys; sys.exit(5)\" | {py} -c \"pass\"", 0, ""),
    ("{py} -c \"pass\" | {py} -c \"import sys; sys.exit(6)\"", 6, ""),
    ("{py} -c \"import sys; print('e', file=sys.stderr)\" 2>&1 | {py} -c \"import sys; print(sys.stdin.read().strip().upper())\"", 0, "E\n"),
    ("echo one > f.txt && echo two >> f.txt && {py} -c \"print(open('f.txt').read(), end='')\"", 0, "one\ntwo\n"),
    ("echo in > g.txt && {py} -c \"import sys; print(sys.stdin.read().strip() + '!')\" < g.txt", 0, "in!\n"),
    ("mkdir_me=sub; {py} -c \"import os; os.mkdir('sub')\" && cd sub && pwd", 0, None),
    ("cd no-such-folder", 1, ""),
    ("no-such-command-xyz", 127, ""),
    ("no-such-command-xyz || echo recovered", 0, "recovered\n"),
]


@pytest.mark.parametrize("script, code, stdout", TABLE)
def test_command_lines(script, code, stdout, tmp_path):
    script = script.replace("{py}", task_shell.quote(PY))
    got_code, got_out, _ = run(script, tmp_path)
    assert got_code == code
    if stdout is not None:
        assert got_out.replace("\r\n", "\n") == stdout
    else:
        assert got_out.strip() == str((tmp_path / "sub").resolve())


def test_patterns_expand_unquoted_only(tmp_path):
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "b.txt").write_text("")
    assert run("echo *.txt", tmp_path)[1] == "a.txt b.txt\n"
    assert run("echo '*.txt' \"*.txt\"", tmp_path)[1] == "*.txt *.txt\n"
    assert run("echo *.none", tmp_path)[1] == "*.none\n"  # no match: the word stays as typed


def test_errors_go_to_stderr_and_stdout_order_is_kept(tmp_path):
    code, out, err = run(f"echo first && {task_shell.quote(PY)} -c \"print('second')\" && no-such-xyz", tmp_path)
    assert code == 127 and out.splitlines() == ["first", "second"]
    assert "command not found: no-such-xyz" in err


@pytest.mark.parametrize("script, column, words", [
    ("echo $(ls)", 6, "command substitution"),
    ("echo `ls`", 6, "backticks"),
    ("sleep 1 &", 9, "background"),
    ("(cd x)", 1, "subshells"),
    ("{ echo; }", 1, "subshells"),
    ("if true; then echo; fi", 1, "keyword 'if'"),
    ("for x in a; do echo; done", 1, "keyword 'for'"),
    ("cat <<EOF", 5, "here-documents"),
    ("echo 'open", 6, "never closed"),
    ('echo "open', 6, "never closed"),
    ("echo a &&", 10, "missing"),
    ("| echo", 1, "missing"),
    ("echo a ;; echo b", 9, "missing"),
    ("echo >", 6, "file name"),
    ("echo ${", 6, "closing"),
])
def test_what_the_shell_refuses_is_named_with_a_caret(script, column, words, tmp_path):
    with pytest.raises(TaskShellError) as info:
        task_shell.run(script, cwd=tmp_path, env=os.environ)
    assert words in info.value.message
    caret_line = info.value.details.splitlines()[-1]
    assert caret_line.index("^") - caret_line.index("|") - 1 == column


def test_nothing_runs_when_a_later_part_cannot_be_read(tmp_path):
    with pytest.raises(TaskShellError):
        task_shell.run("echo x > made.txt; echo $(bad)", cwd=tmp_path, env=os.environ)
    assert not (tmp_path / "made.txt").exists()


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                        max_size=12), min_size=1, max_size=5))
def test_quoted_words_read_back_as_the_same_words(words):
    """quote -> tokenize -> expand gives back exactly the words, whatever characters they hold."""
    tree = task_shell.parse(task_shell.join(words))
    assert len(tree) == 1 and not tree[0].rest
    (command,) = tree[0].first.commands
    state = task_shell.ShellState(cwd=tempfile.gettempdir(), env={})
    assert [arg for word in command.words for arg in task_shell.expand(word, state)] == words


def test_run_a_command_line_and_a_task_through_the_cli(offline, tmp_path, monkeypatch, capfd):
    """`minipixi run "echo a && echo b"` prints both, as `pixi run` does on every OS, and a task
    with `&&` and a redirection runs through the same shell."""
    from minipixi.cli import main
    from sample_workspaces import EXAMPLE, write_manifest

    path = write_manifest(tmp_path / "ws", EXAMPLE)
    path.write_text(path.read_text() + '\n[tasks.both]\ncmd = "echo one > out.txt && echo two >> out.txt"\n')
    monkeypatch.chdir(path.parent)
    assert main(["run", "echo a && echo b"]) == 0
    assert capfd.readouterr().out.splitlines()[-2:] == ["a", "b"]
    assert main(["run", "both"]) == 0
    assert (path.parent / "out.txt").read_text() == "one\ntwo\n"
    assert main(["run", "echo $(nope)"]) == 1
    assert "command substitution $(...) is not supported" in capfd.readouterr().err
