"""Checks for exercise 12: a Slurm batch script with its site settings and the environment."""

from minipixi.teaching.checks.files import bash_syntax_ok, only_file
from minipixi.teaching.grade import CheckFailed, check
from minipixi.teaching.reading.batch import all_sbatch_lines, is_placeholder, sbatch_directives, slurm_time_ok
from minipixi.teaching.reading.pixi_calls import (
    activation_order, environment_option, hook_files, pixi_calls, shell_hook_calls,
)
from minipixi.teaching.reading.shell import read_commands

TITLE = "A Slurm batch script"


def script(sub) -> str:
    return only_file(sub, "**/*.sbatch", "batch script (*.sbatch)")


def directives(sub) -> dict[str, str]:
    return sbatch_directives(sub.read_text(script(sub)))


@check(points=2)
def check_site_settings_filled(sub):
    """#SBATCH sets partition, account and constraint to real values, not placeholders."""
    found = directives(sub)
    for option in ("partition", "account", "constraint"):
        if option not in found:
            raise CheckFailed(f"Slurm gets no --{option} from the script's #SBATCH lines")
        if is_placeholder(found[option]):
            raise CheckFailed(f"--{option} is still a placeholder ('{found[option]}'): how do you find yours?")


@check(points=1)
def check_time_limit(sub):
    """The job has a time limit in a format Slurm reads."""
    value = directives(sub).get("time")
    if value is None:
        raise CheckFailed("the job sets no time limit, so it gets the partition's default (or is refused)")
    if not slurm_time_ok(value):
        raise CheckFailed(f"'{value}' is not a time Slurm reads (minutes, or [days-]hours:minutes:seconds)")


@check(points=2)
def check_activates_an_environment(sub):
    """The script runs its commands in an environment of the workspace: `pixi run -e`, or the
    output of `pixi shell-hook` evaluated or sourced (directly, or from a file it was written to)."""
    tree = read_commands(sub.read_text(script(sub)), script(sub))
    named = [environment_option(words, stop_at_command=True) for _, words in pixi_calls(tree, "run")]
    named += [environment for environment, _ in shell_hook_calls(tree)]
    environments = [env for env in dict.fromkeys(named)
                    if activation_order(tree, env, hook_files(tree, env, "/submit"), "/submit") is not None]
    if not environments and shell_hook_calls(tree):
        raise CheckFailed("`pixi shell-hook` only prints the activation: what has to happen to its output?")
    if not environments:
        raise CheckFailed("nothing in the script activates a pixi environment; python would be the system's")
    known = set(sub.workspace().environments)
    unknown = [e for e in environments if e not in known]
    if unknown:
        raise CheckFailed(f"the script uses environment '{unknown[0]}', which pixi.toml does not define")


@check(points=1)
def check_valid_bash(sub):
    """The script passes `bash -n`."""
    bash_syntax_ok(sub, script(sub))


@check(points=1, hidden=True)
def check_directives_before_commands(sub):
    """Every #SBATCH line comes before the first command, where Slurm still reads it."""
    text = sub.read_text(script(sub))
    late = len(all_sbatch_lines(text)) - len([line for line in _header(text) if line.startswith("#SBATCH")])
    if late:
        raise CheckFailed(f"{late} #SBATCH line(s) come after a command: Slurm ignores them")


def _header(text: str) -> list[str]:
    """The comment lines before the first command."""
    header = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        header.append(stripped)
    return header
