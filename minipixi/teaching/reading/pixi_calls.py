"""Which `pixi` commands a run of learner text starts, and what they activate.

Built on the walk of `teaching/reading/commands.py`: only commands a run really reaches count,
wrappers (``exec``, ``env A=1``, ``srun -n 1``) are looked through, and Pixi's global options are
skipped. From there the questions the container and batch exercises ask:

- `pixi_calls`: every ``pixi SUBCOMMAND`` started, with its words (``install --locked -e gpu``);
  `installed_environments`, `run_environment` and `environment_option` read them;
- `shell_assignments`: the variables a run sets before a given command (``CONDA_OVERRIDE_CUDA``);
- `shell_hook_calls` and `hook_files`: where ``pixi shell-hook`` output goes (``eval``,
  ``source <(...)``, or a file such as an image's entrypoint script);
- `activation_order`: the first command after which an environment is active, whichever of the
  equivalent forms activates it.

Lesson: episodes on containers and clusters. Read after `teaching/reading/shell.py`; read next
`teaching/reading/dockerfile.py`.
"""

from __future__ import annotations

import posixpath

from minipixi.teaching.reading.commands import invocations, reached, unwrap
from minipixi.teaching.reading.shell import command_tree


def pixi_calls(commands, subcommand: str) -> list:
    """(invocation, words after the subcommand) of every `pixi/minipixi SUBCOMMAND` a run of
    `commands` really starts (not echoed, not behind ``false &&``), wrappers such as ``exec``
    looked through."""
    found = []
    for call in reached(command_tree(commands)):
        words = unwrap(call.words)
        if not words or words[0].rsplit("/", 1)[-1] not in ("pixi", "minipixi"):
            continue
        rest = list(words[1:])
        while rest and rest[0].startswith("-"):  # global options such as --color never
            rest = rest[1:]
        if rest[:1] == [subcommand]:
            found.append((call, rest[1:]))
    return found


def installed_environments(commands) -> list[tuple[str, bool]]:
    """(environment, locked?) for each `pixi/minipixi install` that `commands` starts ("*" for
    --all)."""
    found = []
    for _, words in pixi_calls(commands, "install"):
        env = "*" if ("--all" in words or "-a" in words) else environment_option(words)
        found.append((env, "--locked" in words or "--frozen" in words))
    return found


CUDA_OVERRIDE = "CONDA_OVERRIDE_CUDA"


def shell_assignments(commands, before: int | None = None) -> dict[str, str]:
    """Variables a run of `commands` sets (``X=1``, ``export X=1``, ``X=1 cmd`` for that command)
    before the invocation numbered `before` (all when None)."""
    values: dict[str, str] = {}
    for call in invocations(command_tree(commands)):
        if before is not None and call.order > before:
            break
        if not call.reached:
            continue
        if not call.words or call.order == before or before is None:
            values.update(call.assignments)
        if call.words and call.words[0] in ("export", "declare", "typeset", "local", "readonly"):
            values.update(w.partition("=")[::2] for w in call.words[1:] if "=" in w and not w.startswith("-"))
    return values


def sets_cuda_override(commands) -> str | None:
    """The value shell text sets CONDA_OVERRIDE_CUDA to (inline, exported or assigned), or None."""
    return shell_assignments(commands).get(CUDA_OVERRIDE)


def shell_hook_environment(commands) -> str | None:
    """The environment of the first `pixi shell-hook` a run of `commands` starts (default when
    none is named), or None."""
    calls = pixi_calls(commands, "shell-hook")
    return environment_option(calls[0][1]) if calls else None


def shell_hook_calls(commands) -> list[tuple[str, object]]:
    """(environment, invocation) of every `pixi shell-hook` a run of `commands` starts: the
    invocation says where its output goes (``consumer`` eval/source, or ``redirects``)."""
    return [(environment_option(words), call) for call, words in pixi_calls(commands, "shell-hook")]


#: options of `pixi run` that take the next word as their value
_RUN_OPTIONS_WITH_VALUE = {"--manifest-path", "-m", "--color", "--cwd", "--executable", "-x"}


def environment_option(words: list[str], *, stop_at_command: bool = False) -> str:
    """The value of ``-e``/``--environment`` among `words` (``default`` when absent).

    With `stop_at_command` (for ``pixi run``), the first word that is not an option ends the
    search: what follows belongs to the command being run.
    """
    for i, word in enumerate(words):
        if word in ("-e", "--environment") and i + 1 < len(words):
            return words[i + 1].strip("\"')")
        if word.startswith("-e") and len(word) > 2 and not word.startswith("--"):
            return word[2:]
        if word.startswith("--environment="):
            return word.split("=", 1)[1].strip("\"')")
        is_option_value = i > 0 and words[i - 1] in _RUN_OPTIONS_WITH_VALUE
        if stop_at_command and not word.startswith("-") and not is_option_value:
            break
    return "default"


def hook_files(commands, environment: str, workdir: str = "/") -> set[str]:
    """Files that a run of `commands` fills with `pixi shell-hook` output for `environment`
    (``pixi shell-hook ... >> F``, or ``echo "$(pixi shell-hook ...)" > F``), as absolute paths."""
    tree = command_tree(commands)
    everything = invocations(tree)
    files = set()
    for env, call in shell_hook_calls(tree):
        if env != environment:
            continue
        holder = call if call.consumer is None else next(
            (c for c in everything if c.order > call.order and c.words and c.program == call.consumer), call)
        files |= {absolute_path(target, workdir) for op, target in holder.redirects if op in (">", ">>")}
    return files


def absolute_path(path: str, workdir: str = "/") -> str:
    """`path` made absolute against `workdir`, with ``.`` and ``..`` folded (as text)."""
    return posixpath.normpath(posixpath.join(workdir or "/", path))


def activation_order(commands, environment: str, hook_scripts=(), workdir: str = "/", *,
                     entrypoint: bool = False) -> int | None:
    """The position of the first command in a run of `commands` that activates `environment`
    for what follows (None when nothing does):

    - ``eval "$(pixi shell-hook -e ENV)"`` or ``source <(pixi shell-hook -e ENV)``;
    - ``pixi run -e ENV cmd`` (activates for that command);
    - sourcing, or running a command through, one of `hook_scripts` (files filled with the
      shell-hook output, such as an image's ``/app/entrypoint.sh``), also as
      ``. <(sed '$d' /app/entrypoint.sh)``. For an `entrypoint` (which gets the command as
      its arguments) running the script alone counts too.
    """
    tree = command_tree(commands)
    wanted = {absolute_path(p, workdir) for p in hook_scripts}
    orders = [call.order for env, call in shell_hook_calls(tree)
              if env == environment and call.consumer in ("eval", "source", ".")]
    orders += [call.order for call, words in pixi_calls(tree, "run")
               if environment_option(words, stop_at_command=True) == environment]
    for call in invocations(tree):
        if not call.reached or not call.words:
            continue
        words = list(call.words)
        if call.program in ("bash", "sh") and len(words) > 1:  # `bash script args`: the script runs
            words = [w for w in words[1:] if not w.startswith("-")] or words
        if absolute_path(words[0], workdir) in wanted and (len(words) > 1 or entrypoint):
            orders.append(call.order)
        if call.program in ("source", ".") and len(call.words) > 1 and absolute_path(call.words[1], workdir) in wanted:
            orders.append(call.order)
        if call.consumer in ("source", ".") and any(absolute_path(w, workdir) in wanted for w in call.words[1:]):
            orders.append(call.order)
    return min(orders) if orders else None


def run_environment(commands) -> str | None:
    """The environment of the first `pixi run` a run of `commands` starts (default when none is
    named), or None."""
    calls = pixi_calls(commands, "run")
    return environment_option(calls[0][1], stop_at_command=True) if calls else None

