"""Batch job scripts read as data: the ``#SBATCH`` header Slurm reads, and the files a script reads.

A Slurm batch script is a bash script whose leading comment lines (``#SBATCH --partition=gpu``)
are options for ``sbatch``. Slurm reads them only until the first command, so an ``#SBATCH``
line after ``module load`` is a comment (`sbatch_directives` against `all_sbatch_lines`); a value
left as ``<partition>`` or ``CHANGEME`` is a placeholder (`is_placeholder`); a time limit has one
of Slurm's formats (`slurm_time_ok`).

Any job script (Slurm's or HTCondor's) runs far from the learner's laptop, so the checks ask which
files it needs (`script_reads`): the archive a ``tar`` extracts, the Python script it runs, the
file it sources, walking only the commands a run reaches (`teaching/reading/commands.py`).

Lesson: the HPC and HTC episodes. Read after `teaching/reading/apptainer.py`; read next
`teaching/reading/submit.py`.
"""

from __future__ import annotations

import re

from minipixi.teaching.reading.commands import reached, unwrap
from minipixi.teaching.reading.shell import command_tree


# ---- the #SBATCH header ----------------------------------------------------------------------

_SBATCH_SHORT = {"p": "partition", "A": "account", "C": "constraint", "t": "time", "J": "job-name",
                 "N": "nodes", "n": "ntasks", "c": "cpus-per-task", "o": "output", "e": "error",
                 "G": "gpus", "q": "qos"}


def sbatch_directives(text: str) -> dict[str, str]:
    """{long option: value} of the ``#SBATCH`` lines Slurm reads: those before the first command."""
    found: dict[str, str] = {}
    for line in text.splitlines()[1:] if text.startswith("#!") else text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = re.match(r"#SBATCH\s+(--?)([A-Za-z-]+)(?:[= ]\s*(.*))?$", stripped)
        if match:
            dashes, option, value = match.groups()
            option = _SBATCH_SHORT.get(option, option) if dashes == "-" else option
            found[option] = (value or "").split(" #", 1)[0].strip().strip("\"'")
    return found


def all_sbatch_lines(text: str) -> list[str]:
    """Every ``#SBATCH`` line anywhere in the script (Slurm ignores those after a command)."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#SBATCH")]


def is_placeholder(value: str) -> bool:
    """An unfilled value: empty, ``<partition>``, ``{account}``, CHANGEME, TODO, XXX, ..."""
    return (not value or bool(re.search(r"[<>{}]", value))
            or value.strip().upper() in {"CHANGEME", "CHANGE_ME", "TODO", "XXX", "FIXME", "PARTITION",
                                         "ACCOUNT", "CONSTRAINT", "YOUR_ACCOUNT", "YOUR_PARTITION"})


def slurm_time_ok(value: str) -> bool:
    """Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (and UNLIMITED)."""
    pattern = r"\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}"
    return value.upper() in ("UNLIMITED", "INFINITE") or re.fullmatch(pattern, value) is not None


# ---- files a job script reads --------------------------------------------------------------------

def script_reads(commands) -> list[str]:
    """Relative paths a run of a job script reads: the archive a ``tar`` extracts (any option
    style: ``-xzf X``, ``-x -z -f X``, ``xzf X``, ``--file=X``), ``python X.py``, ``[ -f X ]``,
    ``test -e X``, ``source X``, ``< X``. Paths with variables and absolute paths (inside the
    image) are skipped; commands the script never reaches do not count."""
    found = []
    for call in reached(command_tree(commands)):
        words = list(unwrap(call.words))
        program = words[0].rsplit("/", 1)[-1] if words else ""
        if program == "tar":
            found.append(_tar_archive(words[1:]))
        elif program in ("python", "python3"):
            found.append(_python_script(words[1:]))
        elif program in ("[", "test") and len(words) >= 3 and words[1] in ("-e", "-f", "-r", "-s"):
            found.append(words[2])
        elif program in ("source", ".") and len(words) >= 2 and not words[1].startswith("<("):
            found.append(words[1])
        found += [target for op, target in call.redirects if op == "<"]
    paths = [p.removeprefix("./") for p in found
             if p and "$" not in p and not p.startswith(("/", "~", "-", "<("))]
    return list(dict.fromkeys(paths))


def _tar_archive(words: list[str]) -> str | None:
    """The archive a tar command extracts (``-f``), or None when it does not extract one."""
    extract, archive = False, None
    rest = list(words)
    if rest and not rest[0].startswith("-"):  # the old style: `tar xzf file`
        letters, rest = rest[0], rest[1:]
        for letter in letters:
            extract |= letter == "x"
            if letter == "f" and rest:
                archive, rest = rest[0], rest[1:]
    while rest:
        word, rest = rest[0], rest[1:]
        if word in ("-x", "--extract", "--get"):
            extract = True
        elif word.startswith("--file="):
            archive = word.split("=", 1)[1]
        elif word == "--file" and rest:
            archive, rest = rest[0], rest[1:]
        elif word in ("-C", "--directory") and rest:
            rest = rest[1:]
        elif word.startswith("-") and not word.startswith("--"):
            for k, letter in enumerate(word[1:]):
                extract |= letter == "x"
                if letter == "f":
                    if word[k + 2:]:
                        archive = word[k + 2:]
                    elif rest:
                        archive, rest = rest[0], rest[1:]
                    break
                if letter == "C":
                    rest = rest[1:]
                    break
    return archive if extract else None


def _python_script(words: list[str]) -> str | None:
    """The script file `python [options] X.py` runs (None for ``-m`` and ``-c``)."""
    for word in words:
        if word in ("-m", "-c"):
            return None
        if not word.startswith("-"):
            return word if word.endswith(".py") else None
    return None
