"""One error path: hostile or careless input gives one located error and exit 1, never a traceback.

Each test reproduces one item of issue 14 ("What was seen"): 5,000-digit numbers in versions
and specs, 3,000 parentheses in a spec, `list -p ... --frozen` without a lock, an export or a
grade report written onto a folder, and `list --json | head` (a closed pipe).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_checks import assert_clean_error, run
from hypothesis import given
from hypothesis import strategies as st

from minipixi.cli import main
from minipixi.errors import MatchSpecError, VersionError
from minipixi.build_match import BuildNumberSpec
from minipixi.matchspec import parse_matchspec, parse_nameless_matchspec
from minipixi.version import MAX_NUMBER, parse_version
from minipixi.version_spec import VersionSpec
from sample_workspaces import EXAMPLE, write_manifest

HUGE = "9" * 5000  # more digits than Python's int() accepts (4,300), far more than a u64
DEEP = "(" * 3000 + ">=1" + ")" * 3000


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "example", EXAMPLE)
    monkeypatch.chdir(path.parent)
    return path.parent


# ---- numbers that do not fit ----------------------------------------------------------------

@pytest.mark.parametrize("text", [f"1.{HUGE}", HUGE, f"{HUGE}!1.0", f"1.0+{HUGE}", f"1.0.{HUGE}_",
                                  f"1.{'9' * 25}", f"{'9' * 25}!1"])
def test_a_number_too_large_for_a_version_is_a_version_error(text):
    with pytest.raises(VersionError) as caught:
        parse_version(text)
    assert "too large" in caught.value.message and len(caught.value.message) < 300


def test_the_largest_number_still_parses():
    assert parse_version(f"1.{MAX_NUMBER}") > parse_version(f"1.{MAX_NUMBER - 1}")
    assert parse_version(f"{MAX_NUMBER}!1").epoch == MAX_NUMBER


@pytest.mark.parametrize("text", [f"=={HUGE}", f">=1,<{HUGE}", f"{HUGE}.*", f"~={HUGE}.1"])
def test_a_huge_number_in_a_version_spec_is_a_version_error(text):
    with pytest.raises(VersionError, match="too large"):
        VersionSpec(text)


@pytest.mark.parametrize("text", [f"numpy=={HUGE}", f"numpy[version='>={HUGE}']",
                                  f"numpy 1.0 py_{HUGE}" + "[build_number=" + HUGE + "]",
                                  f"numpy[build_number='>={HUGE}']"])
def test_a_huge_number_in_a_matchspec_is_a_matchspec_error(text):
    with pytest.raises(MatchSpecError) as caught:
        parse_matchspec(text)
    assert "too large" in caught.value.message and len(caught.value.message) < 400


def test_build_numbers_are_bounded_like_rattler():
    assert BuildNumberSpec.parse(f">={MAX_NUMBER}").number == MAX_NUMBER
    with pytest.raises(MatchSpecError, match="too large"):
        BuildNumberSpec.parse(str(MAX_NUMBER + 1))


def test_the_version_kernel_encodes_the_largest_numbers():
    from minipixi.version_kernel import matches, sort_versions

    texts = [f"{MAX_NUMBER}!1", f"1.{MAX_NUMBER}", "1.0", f"1.{MAX_NUMBER - 1}", f"1.{MAX_NUMBER}.1"]
    assert sort_versions(texts) == sorted(texts, key=parse_version)
    assert list(matches(VersionSpec(f">=1.{MAX_NUMBER}"), texts)) == [True, True, False, False, True]


def test_add_with_a_huge_version_is_one_clean_error(workspace, capsys):
    before = (workspace / "pixi.toml").read_bytes()
    code, _, err = run(capsys, "add", f"numpy=={HUGE}")
    assert_clean_error(code, err, "too large", "invalid match spec")
    assert (workspace / "pixi.toml").read_bytes() == before


def test_a_huge_version_in_the_manifest_is_located(workspace, capsys):
    manifest = workspace / "pixi.toml"
    manifest.write_text(manifest.read_text().replace('numpy = ">=2.3.0,<3"', f'numpy = ">={HUGE}"'))
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "too large", "pixi.toml:")


def test_a_huge_lock_file_version_is_located(workspace, capsys):
    assert run(capsys, "lock")[0] == 0
    lock = workspace / "pixi.lock"
    text = lock.read_text()
    assert text.startswith("version: ")  # the test must really damage the version line
    lock.write_text(f"version: {HUGE}" + text[text.index("\n"):])
    for command in (["list", "--frozen"], ["install", "--locked"], ["lock", "--check"]):
        code, _, err = run(capsys, *command)
        assert_clean_error(code, err, "pixi.lock:1:")


def test_a_huge_package_version_in_the_lock_is_located(workspace, capsys):
    assert run(capsys, "lock")[0] == 0
    lock = workspace / "pixi.lock"
    lock.write_text(lock.read_text().replace("/numpy-2.3.0-", f"/numpy-{HUGE}-"))
    for command in (["lock", "--check"], ["install", "--locked"], ["list", "--frozen"]):
        code, _, err = run(capsys, *command)
        assert_clean_error(code, err, "too large", "pixi.lock:")


def test_a_package_url_that_is_not_a_url_in_the_lock_is_located(workspace, capsys):
    """``http://[::1/...``: Python's URL parser raises ValueError for it, deep in an install."""
    assert run(capsys, "lock")[0] == 0
    lock = workspace / "pixi.lock"
    text = lock.read_text()
    assert "https://conda.anaconda.org/conda-forge/" in text
    lock.write_text(text.replace("https://conda.anaconda.org/conda-forge/", "http://[::1/conda-forge/"))
    for command in (["install", "--frozen"], ["list", "--frozen"], ["lock", "--check"]):
        code, _, err = run(capsys, *command)
        assert_clean_error(code, err, "not a valid URL", "pixi.lock:")


def test_a_wheel_url_that_is_not_a_url_in_the_manifest_is_one_clean_error(workspace, capsys):
    manifest = workspace / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[pypi-dependencies]\nx = { url = "http://[::1/x-1.0-py3-none-any.whl" }\n')
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "not a valid URL")


@pytest.mark.parametrize("url", ["http://[::1/chan", "https://example.org:99999/chan"])
def test_a_channel_url_that_is_not_a_url_is_located_and_never_added(workspace, capsys, url):
    manifest = workspace / "pixi.toml"
    before = manifest.read_bytes()
    code, _, err = run(capsys, "workspace", "channel", "add", url)
    assert_clean_error(code, err, "not a valid channel URL", "pixi.toml:")
    assert manifest.read_bytes() == before
    manifest.write_text(manifest.read_text().replace('channels = ["conda-forge"]', f'channels = ["{url}"]'))
    assert url in manifest.read_text()
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "not a valid channel URL", "pixi.toml:")


def test_a_mirror_that_is_not_a_url_is_located_in_the_config(workspace, capsys):
    (workspace / ".pixi").mkdir(exist_ok=True)
    (workspace / ".pixi" / "config.toml").write_text(
        '[mirrors]\n"https://conda.anaconda.org/conda-forge" = ["http://[::1/mirror"]\n')
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "is not a valid URL", "config.toml:")


# ---- nesting that would overflow the stack -----------------------------------------------------

def test_deep_parentheses_in_a_version_spec_are_a_clean_error():
    with pytest.raises(VersionError, match="nested"):
        VersionSpec(DEEP)
    assert VersionSpec("(" * 16 + ">=1" + ")" * 16).matches("1.5")


@pytest.mark.parametrize("text", [f"numpy {DEEP}", f"numpy[version='{DEEP}']", "numpy " + "(" * 3000])
def test_deep_parentheses_in_a_matchspec_are_a_clean_error(text):
    with pytest.raises(MatchSpecError, match="nested"):
        parse_matchspec(text)
    with pytest.raises(MatchSpecError, match="nested"):
        parse_nameless_matchspec(text.removeprefix("numpy "))


def test_add_with_deep_parentheses_is_one_clean_error(workspace, capsys):
    code, _, err = run(capsys, "add", f"numpy {DEEP}")
    assert_clean_error(code, err, "nested")


def test_deep_parentheses_in_the_manifest_are_located(workspace, capsys):
    manifest = workspace / "pixi.toml"
    manifest.write_text(manifest.read_text().replace('numpy = ">=2.3.0,<3"', f'numpy = "{DEEP}"'))
    code, _, err = run(capsys, "list")
    assert_clean_error(code, err, "nested", "pixi.toml:")


# ---- patterns that would take exponential time ----------------------------------------------

@pytest.mark.parametrize("regex", ["^(a+)+$", "^([a-z0-9_]+)+X$", "^(x*)*$", "^((ab)+c)*$", "^(a|aa)+$",
                                   "^(a)\\1$", "^(?=a).*$", "^" + "a" * 2000 + "$"])
def test_a_regex_that_could_backtrack_forever_is_refused(regex):
    with pytest.raises(MatchSpecError):
        parse_matchspec(f"numpy * {regex}")


@pytest.mark.parametrize("regex", ["^py3\\d+$", "^(py|cp)3.*$", "^(py3[0-9]+)?_.*$", "^cuda\\d+_mkl.*$", "^[(+]+$"])
def test_ordinary_regexes_still_work(regex):
    assert parse_matchspec(f"numpy[build='{regex}']").build == regex


def test_a_glob_with_many_stars_answers_at_once():
    """`*a*a*...*!` against a long build string: a plain `.*` translation backtracks for minutes."""
    import signal

    from minipixi.build_match import string_matches

    def hang(signum, frame):
        raise TimeoutError("the glob did not answer within 10 s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    try:
        assert not string_matches("*a" * 30 + "*!", "a" * 60)
        assert string_matches("*a" * 30 + "*!", "a" * 60 + "!")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@given(pattern=st.text("ab*", max_size=8), text=st.text("abAB", max_size=8))
def test_globs_match_as_the_plain_translation_does(pattern, text):
    import re

    from minipixi.build_match import string_matches

    plain = re.compile(".*".join(map(re.escape, pattern.split("*"))), re.IGNORECASE | re.DOTALL)
    assert string_matches(pattern, text) == (plain.fullmatch(text) is not None)


# ---- commands whose own place is wrong ------------------------------------------------------

def test_list_for_another_platform_frozen_without_a_lock(workspace, capsys):
    assert not (workspace / "pixi.lock").exists()
    for command in ("list", "tree"):
        code, _, err = run(capsys, command, "-p", "osx-arm64", "--frozen")
        assert_clean_error(code, err, "pixi.lock")
    assert not (workspace / "pixi.lock").exists()


def test_list_for_a_platform_the_environment_lacks(workspace, capsys):
    assert run(capsys, "lock")[0] == 0
    code, _, err = run(capsys, "list", "-p", "linux-aarch64", "--frozen")
    assert_clean_error(code, err, "linux-aarch64")


def test_export_into_an_existing_folder_is_refused(workspace, capsys):
    (workspace / "out").mkdir()
    (workspace / "out" / "keep.txt").write_text("keep")
    code, _, err = run(capsys, "workspace", "export", "conda-environment", "out")
    assert_clean_error(code, err, "out", "is a folder")
    assert [p.name for p in (workspace / "out").iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in workspace.iterdir()) == ["out", "pixi.toml"]  # no temp file left


def test_export_into_a_missing_folder_is_refused(workspace, capsys):
    code, _, err = run(capsys, "workspace", "export", "conda-environment", "nowhere/env.yml")
    assert_clean_error(code, err, "nowhere")


def test_explicit_spec_into_a_file_is_refused(workspace, capsys):
    (workspace / "afile").write_text("x")
    code, _, err = run(capsys, "workspace", "export", "conda-explicit-spec", "afile")
    assert_clean_error(code, err, "afile", "not a folder")
    assert (workspace / "afile").read_text() == "x"


def test_grade_report_onto_a_folder_is_not_a_crash(tmp_path, monkeypatch, capsys):
    """`grade -o .` (grade.py decides what a folder means: G1 writes the report into it)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "answer").mkdir()
    code, _, err = run(capsys, "grade", "01", "answer", "-o", ".")
    assert code in (0, 1) and "Traceback" not in err and "bug" not in err, err
    assert (tmp_path / "answer").is_dir() and list((tmp_path / "answer").iterdir()) == []


# ---- a closed pipe ---------------------------------------------------------------------------

def test_a_closed_pipe_exits_quietly(workspace):
    """`minipixi list --json | head -c 1`: the reader goes away; no BrokenPipeError, no noise."""
    assert main(["lock"]) == 0
    for argv in (["list", "--json"], ["task", "list"], ["shell-hook"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # every write now fails with EPIPE
        try:
            done = subprocess.run([sys.executable, "-m", "minipixi", *argv], stdout=write_end,
                                  stderr=subprocess.PIPE, text=True, timeout=120, cwd=workspace)
        finally:
            os.close(write_end)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
        assert "BrokenPipe" not in done.stderr and "bug" not in done.stderr, done.stderr


def test_a_pipe_closed_after_some_output(workspace, tmp_path):
    """The reader reads one byte and leaves (what `head -c 1` does) while output is pending."""
    assert main(["lock"]) == 0
    script = (f"{sys.executable} -m minipixi list --json --platform win-64 | head -c 1 >/dev/null;"
              " echo ${PIPESTATUS[0]} >&2")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=workspace)
    assert done.stderr.strip().splitlines()[-1] in ("0", "1"), done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


# ---- an OS error is a located error, not a bug ----------------------------------------------

def test_an_unreadable_manifest_is_a_clean_error(workspace, capsys):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    (workspace / "pixi.toml").chmod(0)
    code, _, err = run(capsys, "list")
    assert_clean_error(code, err, "pixi.toml")


def test_an_os_error_names_the_file(workspace, capsys):
    """A file system refusal (here: the export's file name is taken by a folder) is an error
    naming the path, exit 1: the user can act on it, it is not a bug in minipixi."""
    assert run(capsys, "lock")[0] == 0
    (workspace / "out" / "default_linux-64_conda_spec.txt").mkdir(parents=True)
    code, _, err = run(capsys, "workspace", "export", "conda-explicit-spec", "out", "-p", "linux-64")
    assert code == 1 and "Traceback" not in err and "bug" not in err, err
    assert "default_linux-64_conda_spec.txt" in err and "help: " in err, err


@pytest.mark.parametrize("argv", [["workspace", "export", "conda-environment", "a\x00b"],
                                  ["list", "--manifest-path", "pixi\x00.toml"], ["run", "echo", "a\x00"]])
def test_a_nul_in_an_argument_is_a_clean_error(workspace, capsys, argv):
    code, _, err = run(capsys, *argv)
    assert_clean_error(code, err, "NUL")


def test_a_huge_number_on_the_command_line_is_a_usage_error(workspace, capsys):
    for argv in (["workspace", "export", "slurm", "--queue", str(10**30)],
                 ["workspace", "export", "slurm", "--queue", HUGE],
                 ["workspace", "export", "dockerfile", "--expose", "70000"],
                 ["workspace", "channel", "add", "x", "--priority", "+-5"]):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2  # argparse's usage error, as clap's in Pixi
    assert "Traceback" not in capsys.readouterr().err


def test_errors_render_shortened_values():
    from minipixi.errors import shorten

    assert shorten("abc") == "abc"
    long = shorten("x" * 5000)
    assert len(long) < 120 and "5000 characters" in long and long.startswith("xxx")


def test_help_stays_quick_to_import():
    """The error path adds no import to start-up (tests/cli/test_startup.py checks the list)."""
    code = "import sys, minipixi.cli; print('minipixi.errors' in sys.modules, 'traceback' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_no_file_is_left_behind_by_a_refused_export(workspace, capsys):
    run(capsys, "workspace", "export", "conda-environment", str(workspace))
    assert sorted(p.name for p in workspace.iterdir()) == ["pixi.toml"]
    assert Path(workspace / "pixi.toml").is_file()


@pytest.mark.parametrize("flag, value", [("--time-limit", "inf"), ("--time-limit", "nan"), ("--time-limit", "0"),
                                         ("--jobs", "100000"), ("--memory-limit", "1"), ("--timeout", "1e9")])
def test_grade_limits_are_bounded_numbers(flag, value, capsys):
    """The class grader's limits are whole numbers in a sane range (inf/nan once slipped through)."""
    with pytest.raises(SystemExit) as info:
        main(["grade", "01", ".", flag, value])
    assert info.value.code == 2
    assert "expected a whole number" in capsys.readouterr().err
