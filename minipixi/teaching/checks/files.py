"""Checks on the files of a submission: finding them, and reading them as data with real parsers.

Exercises from the environment.yml export on hand in files other than pixi.toml: explicit spec
files, YAML, a second TOML file, job scripts. This module finds them (`find_files`,
`only_file`: plain files only, never a link, never inside ``.pixi``) and reads them with the
parser for their format, so a problem is feedback with the parser's place, never a crash:
YAML with PyYAML's safe loader after refusing anchors and aliases (`lock/yaml_dialect.py`), an
explicit spec with minipixi's reader (`deploy/export.py`), TOML with ``tomllib``. A job script's
syntax is checked by bash itself (`bash_syntax_ok`: ``bash -n`` reads a script and runs none
of its commands), the one outside program a check starts. Every read goes through the
submission (`teaching/grade.py`: `Submission.path`), which refuses paths that leave it.

Lesson: the challenges that hand in more than pixi.toml (exercises 05, 06, 08, 11 to 13). Read
after `teaching/checks/tasks.py`; read next `teaching/checks/cuda.py`.
"""

from __future__ import annotations

import subprocess
import tomllib

from minipixi.deploy.export import parse_explicit_spec
from minipixi.errors import MinipixiError
from minipixi.teaching.grade import CheckFailed, Submission


# ---- finding files ---------------------------------------------------------------------------

def find_files(sub: Submission, pattern: str) -> list[str]:
    """Relative paths of plain files (not links) matching a glob such as ``**/*.sub``, sorted."""
    found = []
    for path in sorted(sub.root.glob(pattern)):
        if path.is_file() and not path.is_symlink() and ".pixi" not in path.relative_to(sub.root).parts:
            found.append(path.relative_to(sub.root).as_posix())
    return found


def only_file(sub: Submission, pattern: str, what: str) -> str:
    """The one file matching `pattern`; CheckFailed when there is none or more than one."""
    found = find_files(sub, pattern)
    if not found:
        raise CheckFailed(f"no {what} found in your submission (looked for {pattern})")
    if len(found) > 1:
        raise CheckFailed(f"several {what}s found ({', '.join(found)}); keep only one")
    return found[0]


# ---- reading them -----------------------------------------------------------------------------

def read_yaml(sub: Submission, relative: str):
    """A YAML file as Python data (safe loader); CheckFailed with the parser's place on error."""
    import yaml  # lazy: PyYAML loads only for the exercises that read a YAML file

    from minipixi.lock.yaml_dialect import YamlReadError, check_no_aliases  # lazy: imports PyYAML

    text = sub.read_text(relative)
    try:
        check_no_aliases(text)  # a billion-laughs file would hang whatever walks the data
    except YamlReadError as err:
        raise CheckFailed(f"{relative} (line {err.line}): {err.message}") from err
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        place = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        raise CheckFailed(f"{relative} is not valid YAML{place}: {getattr(err, 'problem', None) or err}") from err


def read_explicit_spec(sub: Submission, relative: str):
    """(platform, records) of an @EXPLICIT file; CheckFailed with the reader's message."""
    try:
        return parse_explicit_spec(sub.read_text(relative), relative)
    except MinipixiError as err:
        raise CheckFailed(err.message + (f" ({err.hint})" if err.hint else "")) from err


def toml_keys(value, path=()) -> list[tuple[str, ...]]:
    """Every key path of parsed TOML data (tables and inline tables, and tables in arrays)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(path + (str(key),))
            found += toml_keys(item, path + (str(key),))
    elif isinstance(value, list):
        for item in value:
            found += toml_keys(item, path)
    return found


def read_toml(sub: Submission, relative: str) -> dict:
    """A TOML file as plain Python data (no minipixi rules); CheckFailed with the parser's message."""
    try:
        return tomllib.loads(sub.read_text(relative))
    except tomllib.TOMLDecodeError as err:
        raise CheckFailed(f"{relative} is not valid TOML: {err}") from err


def bash_syntax_ok(sub: Submission, relative: str) -> None:
    """`bash -n` on a script of the submission (with a time limit): bash reads the script and
    reports its syntax errors, and with ``-n`` runs none of its commands."""
    path = sub.path(relative)
    sub.read_text(relative)
    try:
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired as err:
        raise CheckFailed(f"checking {relative} with bash -n took too long") from err
    if proc.returncode != 0:
        first = proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "a syntax error"
        first = first.replace(f"{path}: ", "")  # bash names the file by its full path
        raise CheckFailed(f"{relative} is not valid bash: {first}")
