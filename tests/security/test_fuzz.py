"""Fuzz: every command against malformed manifests, locks, configs and argument strings.

Issue 14's promise, checked by hypothesis: whatever a careless or hostile user puts in pixi.toml,
pixi.lock, .pixi/config.toml or on the command line, a command ends, within a time bound, with
its result (exit 0) or one clean error (exit 1; argparse's usage errors keep Pixi's exit 2;
`run` may return its task's exit code), and never prints a traceback or "this is a bug".

Each example copies a small locked workspace (on the offline teaching channel), damages one of
its files (a byte flipped, the file cut short, a nasty value or key spliced in, a BOM, CRLF or
lone-CR line ends), and runs one command in-process with `minipixi.cli.main` under an alarm.
The network is switched off (httpx's transport raises), so a damaged channel name or package
URL meets a failing connection, never the internet. The `ci` profile keeps the tier well under
a minute; ``HYPOTHESIS_PROFILE=thorough`` runs a hundred times more examples.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minipixi.cli import main

BOUND_SECONDS = 30  # per command; a hang is a failure, not a slow test
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
EXAMPLES = 2000 if THOROUGH else 60  # per test below; the ci budget is the whole tier < 60 s

MANIFEST = """\
[workspace]
channels = ["conda-forge"]
name = "fuzz"
platforms = ["linux-64", "osx-arm64"]
version = "0.1.0"

[tasks]
hello = "echo hello"
both = { cmd = "echo both", depends-on = ["hello"] }
greet = { cmd = "echo {{ name }}", args = [{ arg = "name", default = "world" }] }

[activation.env]
FUZZ_VAR = "value"

[dependencies]
python = ">=3.13.5,<3.14"

[feature.extra.dependencies]
libzlib = "*"

[environments]
extra = ["extra"]
"""

CONFIG = """\
offline = true

[repodata-config]
disable-jlap = true
"""

HUGE = "9" * 5000

# Byte strings spliced into a file: encodings, line ends, nesting, numbers, quoting, YAML tags.
NASTY_BYTES = [
    b"\x00", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80",
    b"[" * 5000, b"{" * 5000, b"(" * 3000, b"- " * 3000, HUGE.encode(), b'"', b"'", b"=", b":",
    b"\n", b"\t", b"*a", b"&a ", b"\\", b"\\u0000", b"${HOME}", b"../../x", b"\xe2\x80\xae",
    b"!!python/object/apply:os.system ['true']", b"<<: *a",
]

# Values put in place of one `key = value` (TOML) or `key: value` (YAML) line's value.
NASTY_VALUES = [
    "5", "-1", "0", "true", "1.5", "inf", "nan", "1979-05-27", "[1, 2]", "{}", "[]", '""',
    '"\\u0000"', HUGE, f'"{HUGE}"', f'">={HUGE}"', '"' + "(" * 3000 + '"', "[" * 3000 + "]" * 3000,
    "{ a = { b = { c = 1 } } }", '"../../x"', '"/abs/path"', '"*"', '"x y"', '"numpy >=1 ((("',
    "~", "null", "&a [*a, *a]", "*a", "!!binary aGk=", f"[{', '.join(['1'] * 200)}]",
    '"' + "x" * 5000 + '"', '"a\\nb"', '{ cmd = [1, 2] }', '{ arg = 5 }', '"linux-64"',
]

NEW_LINES = [
    "unknown-key = 1", "[unknown]", "[target.\"../x\".dependencies]", "[feature.x.tasks]",
    "unknown_key: 1", "- conda: https://example.invalid/x-1-0.conda", "version: 99",
    "exclude-newer = \"not a date\"", "requires-pixi = \">=99\"", "[system-requirements]",
    "cuda = \"abc\"", "depends-on = [\"missing\"]", "x = " + "[" * 5000, "[[" * 200,
]

COMMANDS = [
    ["list"], ["list", "--json"], ["list", "--frozen"], ["list", "-p", "osx-arm64"],
    ["lock", "--check"], ["lock"], ["install", "--locked"], ["install", "--frozen"],
    ["run", "hello"], ["run", "both"], ["run", "greet", "there"], ["task", "list"],
    ["shell-hook"], ["shell-hook", "-s", "fish"], ["tree"], ["info"], ["info", "--json"],
    ["add", "libzlib"], ["add", "--no-lockfile-update", "libzlib >=1"], ["remove", "python"],
    ["workspace", "platform", "add", "win-64"], ["workspace", "export", "conda-environment"],
    ["workspace", "export", "conda-environment", "--from-lock-file", "--frozen"],
    ["workspace", "export", "conda-explicit-spec", "out", "--frozen"],
]

FILES = {"manifest": "pixi.toml", "lock": "pixi.lock", "config": ".pixi/config.toml"}


# ---- the workspace and its damage -----------------------------------------------------------

class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that no `except Exception` can swallow it."""


def _alarm(signum, frame):
    raise Hang()


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory):
    """A locked template workspace and a cache of the fuzz's own (damage cannot leak out)."""
    root = tmp_path_factory.mktemp("fuzz")
    env = {"MINIPIXI_OFFLINE": "1", "MINIPIXI_CACHE_DIR": str(root / "cache"),
           "MINIPIXI_HOME": str(root / "home"), "MINIPIXI_PLATFORM": "linux-64"}
    template = root / "template"
    (template / ".pixi").mkdir(parents=True)
    (template / "pixi.toml").write_text(MANIFEST)
    (template / ".pixi" / "config.toml").write_text(CONFIG)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("CONDA_OVERRIDE_CUDA", raising=False)
        assert main(["lock", "--manifest-path", str(template / "pixi.toml")]) == 0
        assert main(["install", "--manifest-path", str(template / "pixi.toml")]) == 0  # fills the cache
    shutil.rmtree(template / ".pixi" / "envs")
    return root, template, env


@pytest.fixture
def sandbox(fuzz_env, monkeypatch):
    """Environment variables, no network, and a `run_one(argv, damage)` that checks one run."""
    root, template, env = fuzz_env
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CONDA_OVERRIDE_CUDA", raising=False)
    monkeypatch.setenv("MINIPIXI_TRACEBACK", "1")  # a bug prints its traceback: the failure shows it

    def no_network(self, request):
        raise httpx.ConnectError("the fuzz allows no network", request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", no_network)
    here = os.getcwd()

    def run_one(argv: list[str], damage=None, *, task_exit_codes: bool = False) -> tuple[int, str]:
        folder = Path(tempfile.mkdtemp(prefix="run", dir=root)) / "ws"
        shutil.copytree(template, folder)
        if damage is not None:
            file_key, mutate = damage
            path = folder / FILES[file_key]
            path.write_bytes(mutate(path.read_bytes()))
        out, err = io.StringIO(), io.StringIO()
        previous = signal.signal(signal.SIGALRM, _alarm)
        bound = BOUND_SECONDS
        signal.alarm(bound)
        try:
            os.chdir(folder)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exit_:  # argparse's usage errors (Pixi's clap also exits 2)
                    code = exit_.code
                    assert code == 2 and "usage: minipixi" in err.getvalue(), (argv, err.getvalue())
        except Hang:
            pytest.fail(f"no answer within {bound} s: {argv}")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            os.chdir(here)
        text = err.getvalue() + out.getvalue()
        assert "this is a bug" not in text and "Traceback" not in text, (argv, text[-3000:])
        if not task_exit_codes:
            assert code in (0, 1, 2), (argv, code, text[-3000:])
            if code == 1:  # one error, or `lock --check`'s answer "out of date"
                assert "error: " in text or "✘ pixi.lock is out of date" in text, (argv, text[-3000:])
        shutil.rmtree(folder.parent, ignore_errors=True)
        return code, text

    return run_one


@st.composite
def damage(draw, files=tuple(FILES)):
    """(file key, bytes -> bytes): one kind of damage to one of the workspace's files."""
    file_key = draw(st.sampled_from(files))
    kind = draw(st.sampled_from(["flip", "truncate", "splice", "value", "line", "bom", "crlf", "cr",
                                 "garbage"]))
    where = draw(st.integers(0, 10**6))
    nasty = draw(st.sampled_from(NASTY_BYTES))
    value = draw(st.sampled_from(NASTY_VALUES))
    line = draw(st.sampled_from(NEW_LINES))
    flip = draw(st.integers(1, 255))
    garbage = draw(st.binary(max_size=200))

    return file_key, Damage(kind, file_key, where, nasty, value, line, flip, garbage)


class Damage:
    """One damage, printable (hypothesis shows it when an example fails)."""

    def __init__(self, kind, file_key, where, nasty, value, line, flip, garbage) -> None:
        self.kind, self.file_key, self.where, self.nasty = kind, file_key, where, nasty
        self.value, self.line, self.flip, self.garbage = value, line, flip, garbage

    def __repr__(self) -> str:
        what = {"splice": self.nasty, "value": self.value, "line": self.line, "flip": self.flip,
                "garbage": self.garbage}.get(self.kind, "")
        return f"Damage({self.kind} {self.file_key} at {self.where}: {what!r:.80})"

    def __call__(self, data: bytes) -> bytes:
        kind, where, nasty, value, line, flip, garbage = (self.kind, self.where, self.nasty, self.value,
                                                           self.line, self.flip, self.garbage)
        at = where % (len(data) + 1)
        if kind == "flip" and data:
            at %= len(data)
            return data[:at] + bytes([data[at] ^ flip]) + data[at + 1:]
        if kind == "truncate":
            return data[:at]
        if kind == "splice":
            return data[:at] + nasty + data[at:]
        if kind == "value":
            lines = data.split(b"\n")
            index = where % len(lines)
            for sep in (b" = ", b": "):
                if sep in lines[index]:
                    key = lines[index].split(sep, 1)[0]
                    lines[index] = key + sep + value.encode()
                    break
            return b"\n".join(lines)
        if kind == "line":
            lines = data.split(b"\n")
            lines.insert(where % (len(lines) + 1), line.encode())
            return b"\n".join(lines)
        if kind == "bom":
            return b"\xef\xbb\xbf" + data
        if kind == "crlf":
            return data.replace(b"\n", b"\r\n")
        if kind == "cr":
            return data.replace(b"\n", b"\r")
        return data[:at] + garbage + data[at:]


# Words for random command lines: flags every command knows, names, and hostile text. No
# absolute paths and no '..': an output argument must stay inside the example's folder.
WORDS = st.one_of(
    st.sampled_from(["-p", "--platform", "-e", "--environment", "--frozen", "--locked", "--json", "-f",
                     "--feature", "osx-arm64", "linux-64", "default", "extra", "nope", "--offline", "-x",
                     "--", "-", "", " ", "python", "libzlib >=1", "numpy[version='>=1']", "x::y", HUGE,
                     "(" * 3000, "a\x00b", "\udcff", "é", "--manifest-path", "pixi.toml", "--no-install"]),
    st.text(alphabet=st.characters(blacklist_characters="/.", blacklist_categories=("Cs",)), max_size=12),
)


# ---- the fuzz tests ---------------------------------------------------------------------------

@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(COMMANDS), hurt=damage())
def test_commands_on_damaged_files(sandbox, command, hurt):
    """A damaged pixi.toml, pixi.lock or .pixi/config.toml: a result or one clean error."""
    sandbox(command, hurt, task_exit_codes=command[0] == "run")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from([c for c in COMMANDS if c[0] != "run"]), words=st.lists(WORDS, max_size=4))
def test_commands_with_random_arguments(sandbox, command, words):
    """Random words after a command: a result, one clean error, or argparse's usage error."""
    sandbox([*command, *words])


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=st.one_of(WORDS, st.text(max_size=30)), command=st.sampled_from(
    [["add", "--no-lockfile-update"], ["add"], ["remove"], ["workspace", "platform", "add"],
     ["add", "--feature", "extra", "--no-lockfile-update"]]))
def test_editing_commands_with_random_specs(sandbox, spec, command):
    """`add`, `remove` and `platform add` with any spec: a result or one clean error."""
    sandbox([*command, spec])


# What the fuzz found, shrunk to its smallest form: each stays a test (file, its bytes, command).
FOUND = [
    ("manifest", b"[k\ns=[}", ["list"]),  # hang: the position scanner read '}' in an array forever
    ("manifest", b'[tasks]\nboth = { cmd = "x", depends-on = ["hello#] }\n', ["task", "list"]),  # same hang
    ("config", b"offline = true\nx = " + HUGE.encode() + b"\n", ["shell-hook"]),  # int() of 5,000 digits
    ("lock", b"version: " + HUGE.encode() + b"\n", ["list", "--frozen"]),  # the same, in pixi.lock
    ("manifest", MANIFEST.replace('">=3.13.5,<3.14"', '"' + "(" * 3000 + '"').encode(), ["list"]),
    ("lock", b"version: 6\nenvironments:\n  default:\n    packages:\n      l", ["list"]),  # a text, not a mapping
]


@pytest.mark.parametrize("file_key, content, command", FOUND)
def test_what_the_fuzz_found(sandbox, file_key, content, command):
    code, text = sandbox(command, (file_key, lambda data: content))
    assert code == 1 and "error: " in text


def test_the_fuzz_can_fail(sandbox, monkeypatch):
    """The harness itself: a crash in a command is caught as a failure, not passed over."""
    from minipixi import cli

    import time

    monkeypatch.setattr(cli, "build_parser", _parser_with(cli, "list", lambda args: [][1]))
    with pytest.raises(AssertionError, match="this is a bug"):
        sandbox(["list"])
    monkeypatch.setattr(cli, "build_parser", _parser_with(cli, "tree", lambda args: time.sleep(10)))
    monkeypatch.setattr(sys.modules[__name__], "BOUND_SECONDS", 1)
    with pytest.raises(pytest.fail.Exception, match="no answer within 1 s"):
        sandbox(["tree"])


def _parser_with(cli, name, handler):
    original = cli.build_parser

    def build():
        parser = original()
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        sub.choices[name].set_defaults(handler=handler)
        return parser

    return build
