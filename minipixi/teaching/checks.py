"""Checks: the properties exercises are graded on, written once and shared by every exercise.

Each function looks at a learner's `Submission` (see `grade.py`) and raises `CheckFailed` with
feedback that points at the problem without giving the answer. They ask minipixi itself:
solve an environment on the teaching channel (or check the learner's own pixi.lock against
the manifest, `environment_records`), plan a task graph, parse an HTCondor submit description.
So a correct answer passes however it is written (any order, any quoting, old or new manifest
forms), and with whatever versions real conda-forge had when the learner locked it.

Learner commands (tasks, job scripts, Dockerfile RUN lines, workflow steps) are data: they are
read with a real parser for their language and walked without running anything
(`command_reading.py`), so ``true || jupyter lab`` does not start JupyterLab and ``echo "pixi
run -e gpu"`` activates nothing. The one outside program a check starts is ``bash -n``, bash's
own syntax check, which reads a script and never executes a command of it.

Sections, in the order of the lesson: manifest, solving and submitted locks; learner commands
and HTCondor submit files; files found in a submission; tasks; explicit specs; Dockerfiles and
activation; Apptainer definitions; batch scripts; the files a job script reads; GitHub Actions
workflows; CPU and GPU environments; global manifests; settings for hypothesis properties
inside a check. tests/grading/test_check_helpers.py shows each reader on the equivalent forms
it accepts, and tests/grading/wrong_answers/ the look-alikes each check refuses.

Lesson: the challenges of every episode. Read after `grade.py`.
"""

from __future__ import annotations

import re

from minipixi.errors import MinipixiError
from minipixi.teaching.grade import CheckFailed, Submission


# ---- manifest, solving and submitted locks -------------------------------------------------------

def require_environment(sub: Submission, name: str):
    ws = sub.workspace()
    if name not in ws.environments:
        have = ", ".join(ws.environments)
        raise CheckFailed(f"pixi.toml has no environment called '{name}' (it has: {have}); look at [environments]")
    return ws.environments[name]


def platforms_of(sub: Submission, environment: str = "default") -> list[str]:
    """Platform entry names of an environment."""
    require_environment(sub, environment)
    return list(sub.workspace().environment_platforms(environment))


def subdir_of(sub: Submission, platform: str) -> str:
    return sub.workspace().platform(platform).subdir


def solve(sub: Submission, environment: str, platform: str, *, cuda: str | None = "declared"):
    """Records of `environment` on `platform`, solved on the teaching channel.

    `cuda`: "declared" uses what the manifest declares; None removes ``__cuda``; a version
    string replaces it (a machine with that driver). Raises CheckFailed when unsolvable.
    """
    from minipixi.channel.fetch import ChannelRefused
    from minipixi.manifest import require_conda_only
    from minipixi.solver import SolveTask, solve as run_solver
    from minipixi.channel.virtual_packages import default_virtual_packages
    from minipixi.app.workspace import load_sources

    project = sub.project()
    resolved = project.workspace.resolve(environment, platform)
    require_conda_only(resolved, project.workspace)
    options = resolved.virtual_package_options()
    if cuda != "declared":
        options["cuda"] = cuda
    try:
        sources = load_sources(project, resolved.channels, resolved.subdir)
    except ChannelRefused as err:  # a channel of the learner's own: a finding, never read
        raise CheckFailed(f"environment '{environment}': {err.message} ({err.hint})") from err
    except MinipixiError as err:
        raise CheckFailed(f"the grader has no packages for {resolved.subdir} (platform '{platform}'): "
                          "is that platform name one the lesson uses?") from err
    task = SolveTask(specs=list(resolved.specs.values()),
                     sources=sources,
                     virtual_packages=default_virtual_packages(resolved.subdir, **options),
                     constraints=list(resolved.constraint_specs.values()), platform=resolved.subdir,
                     label=f"environment '{environment}'")
    try:
        return run_solver(task)
    except MinipixiError as err:
        raise CheckFailed(f"environment '{environment}' cannot be solved for {platform}: "
                          f"{err.message}\n{err.details or ''}".rstrip()) from err


def submitted_lock(sub: Submission):
    """The submission's pixi.lock read by minipixi's lock reader, or None when there is none;
    CheckFailed with the reader's place and message when it cannot be read."""
    from minipixi.lock.read import parse_lock

    if "lock" not in sub._cache:
        if not sub.exists("pixi.lock"):
            sub._cache["lock"] = None
        else:
            try:
                sub._cache["lock"] = parse_lock(sub.read_text("pixi.lock"), "pixi.lock")
            except MinipixiError as err:
                raise CheckFailed(f"pixi.lock cannot be read: {err.message}") from err
    return sub._cache["lock"]


def environment_records(sub: Submission, environment: str, platform: str) -> list:
    """The records an environment installs on a platform, as the learner's own tools decided:

    - with a pixi.lock in the submission (made with real Pixi and real conda-forge, say), the
      records it locks, after checking it *structurally* against pixi.toml: the environment and
      platform are locked, every dependency is locked with a version its spec accepts, the
      locked records meet each other's dependencies, the channels are the manifest's, and every
      package comes from a channel the grader accepts. It is not solved again, so a correct
      answer does not depend on which versions the teaching mirror holds;
    - without one, the environment solved on the teaching mirror (`solve`).
    """
    from minipixi.app.workspace import lock_platform_names, outdated_reasons

    lock = submitted_lock(sub)
    if lock is None:
        return solve(sub, environment, platform)
    _require_accepted_channels(sub, environment, platform)
    if "lock_reasons" not in sub._cache:
        try:
            sub._cache["lock_reasons"] = outdated_reasons(sub.project(), lock)
        except MinipixiError as err:
            raise CheckFailed(f"pixi.lock cannot be compared with pixi.toml: {err.message}") from err
    reasons = sub._cache["lock_reasons"].get((environment, platform))
    if reasons:
        raise CheckFailed(f"pixi.lock does not fit pixi.toml for environment '{environment}' on {platform}: "
                          f"{reasons[0]} (run `pixi lock` again and submit the new lock)")
    locked = lock.environments[environment].conda_packages(lock_platform_names(sub.workspace())[platform])
    allowed = _accepted_channel_urls()
    for package in locked:
        url = package.url
        if allowed is not None and not any(url.startswith(base + "/") for base in allowed):
            raise CheckFailed(f"pixi.lock takes {package.name} from {url}, not from a channel the grader accepts")
    return [package.record for package in locked]


def _accepted_channel_urls():
    """The channel URLs grading may read (None outside `grade`: then every channel is)."""
    from minipixi.channel.fetch import READABLE_CHANNELS

    readable = READABLE_CHANNELS.get()
    return None if readable is None else {url.rstrip("/") for url in readable}


def _require_accepted_channels(sub: Submission, environment: str, platform: str) -> None:
    """CheckFailed when the environment asks for a channel grading does not accept (a local
    folder of the learner's: a finding, never read)."""
    from minipixi.matchspec import channel_base_url

    allowed = _accepted_channel_urls()
    for channel in sub.workspace().resolve(environment, platform).channels:
        if allowed is not None and channel_base_url(str(channel)) not in allowed:
            raise CheckFailed(f"environment '{environment}' uses the channel '{channel}', which grading does not "
                              "read: the lesson's packages come from conda-forge")


def solve_error(sub: Submission, environment: str, platform: str, *, cuda: str | None) -> MinipixiError | None:
    """The solver's error for this machine, or None when it solves."""
    try:
        solve(sub, environment, platform, cuda=cuda)
    except CheckFailed as failed:
        return failed.__cause__ if isinstance(failed.__cause__, MinipixiError) else MinipixiError(failed.feedback)
    return None


def is_cuda_build(record) -> bool:
    """A record built for CUDA: its build string says so, or it needs ``__cuda``."""
    return record.build.startswith("cuda") or record.depends_on("__cuda")


def declared_cuda(sub: Submission, environment: str, platform: str) -> str | None:
    return sub.workspace().resolve(environment, platform).virtual_packages.get("__cuda")


def task_plan(sub: Submission, environment: str, task: str) -> list[str]:
    """Task names in the order `minipixi run task` would run them (CheckFailed on cycles)."""
    from minipixi.manifest.resolve import list_tasks
    from minipixi.run.tasks import plan_tasks

    tasks = list_tasks(sub.workspace(), environment)
    if task not in tasks:
        raise CheckFailed(f"there is no task called '{task}' in environment '{environment}'; look at [tasks]")
    try:
        return [name for name, _ in plan_tasks(tasks, task)]
    except MinipixiError as err:
        raise CheckFailed(err.message) from err


def task_tree(sub: Submission, environment: str, task: str):
    """A task's command read by the task shell's parser (None for a task with only
    dependencies); CheckFailed with the parser's message when the task shell cannot read it."""
    from minipixi.manifest.resolve import list_tasks

    cmd = list_tasks(sub.workspace(), environment)[task].cmd
    if cmd is None:
        return None
    text = " ".join(cmd) if isinstance(cmd, tuple) else cmd
    return read_commands(text, f"the command of task '{task}'", language="task")


# ---- learner commands (read, never run) and submit files -----------------------------------------

def read_commands(text: str, what: str, *, language: str = "bash"):
    """Shell text as a tree (`command_reading`): ``language`` is "bash" or "task" (Pixi's task
    shell). CheckFailed naming `what` when the parser cannot read it."""
    from minipixi.teaching.command_reading import CommandSyntaxError, parse_bash, parse_task

    try:
        return parse_task(text) if language == "task" else parse_bash(text)
    except CommandSyntaxError as err:
        raise CheckFailed(f"{what} cannot be read: {err.message}") from err


def reached_commands(tree) -> list:
    """The commands a run of `tree` really starts (`command_reading.reached`)."""
    from minipixi.teaching.command_reading import reached

    return reached(tree)


def _tree(commands):
    """`commands` as a tree: text is parsed as bash, a tree is kept."""
    return read_commands(commands, "the commands") if isinstance(commands, str) else commands


def pixi_calls(commands, subcommand: str) -> list:
    """(invocation, words after the subcommand) of every `pixi/minipixi SUBCOMMAND` a run of
    `commands` really starts (not echoed, not behind ``false &&``), wrappers such as ``exec``
    looked through."""
    from minipixi.teaching.command_reading import reached, unwrap

    found = []
    for call in reached(_tree(commands)):
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
    from minipixi.teaching.command_reading import invocations

    values: dict[str, str] = {}
    for call in invocations(_tree(commands)):
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


def parse_submit_description(text: str) -> dict[str, str]:
    """An HTCondor submit description as {lowercase key: value}: with HTCondor's own parser
    (PyPI `htcondor`) when it is installed, else a careful reading of `key = value` lines."""
    try:
        import htcondor2

        try:
            return {k.lower(): str(v) for k, v in dict(htcondor2.Submit(text).items()).items()}
        except Exception as err:  # noqa: BLE001 - the bindings raise several kinds
            raise CheckFailed(f"HTCondor cannot parse the submit file: {err}") from err
    except ImportError:
        values = {}
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line and not line.lower().startswith("queue"):
                key, _, value = line.partition("=")
                values[key.strip().lower()] = value.strip()
        return values


def queue_count(text: str) -> int | None:
    match = re.search(r"^\s*queue(?:\s+(\d+))?\b", text, re.IGNORECASE | re.MULTILINE)
    if not match:
        return None
    return int(match.group(1) or 1)


def bash_syntax_ok(sub: Submission, relative: str) -> None:
    """`bash -n` on a script of the submission (with a time limit): bash reads the script and
    reports its syntax errors, and with ``-n`` runs none of its commands."""
    import subprocess

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


# ---- files found in the submission ---------------------------------------------------------------

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


def read_yaml(sub: Submission, relative: str):
    """A YAML file as Python data (safe loader); CheckFailed with the parser's place on error."""
    import yaml

    from minipixi.lock.yaml_dialect import YamlReadError, check_no_aliases

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


def solved_versions(sub: Submission, environment: str, platform: str) -> dict[str, object]:
    """{name: record} of an environment: its submitted lock, or solved on the teaching mirror
    (`environment_records`)."""
    return {record.name: record for record in environment_records(sub, environment, platform)}


def has_upper_bound(spec) -> bool:
    """Does a MatchSpec bound its version from above (``=2.3``, ``>=2.3,<3``, ``==4.4.3``)? A bare
    name or an open range (``>=2.3``) accepts any future major version, which may break."""
    from minipixi.version import parse_version

    return spec.version is not None and not spec.version.matches(parse_version("99999"))


def manifest_dependency_names(sub: Submission, environment: str, platform: str) -> list[str]:
    """The names an environment asks for on a platform (after features and targets are merged)."""
    return sorted(sub.workspace().resolve(environment, platform).specs)


# ---- tasks --------------------------------------------------------------------------------------

def starts_jupyterlab(command) -> bool:
    """Does a run of the command start JupyterLab? (`jupyter lab`, `jupyter-lab`, `python -m
    jupyterlab`, `python -m jupyter lab`, with options, but not ``--help``/``--version``.)
    `command` is a tree, or text read by Pixi's task shell; unreached commands do not count."""
    from minipixi.teaching.command_reading import reached, unwrap

    tree = read_commands(command, "the command", language="task") if isinstance(command, str) else command
    if tree is None:
        return False
    for call in reached(tree):
        words = list(unwrap(call.words))
        if not words or call.consumer is not None:
            continue
        head, rest = words[0].rsplit("/", 1)[-1], words[1:]
        if head in ("python", "python3") and rest[:1] == ["-m"]:
            head, rest = rest[1] if len(rest) > 1 else "", rest[2:]
        if head == "jupyter" and rest[:1] == ["lab"]:
            head, rest = "jupyter-lab", rest[1:]
        if head in ("jupyter-lab", "jupyterlab") and not {"-h", "--help", "--version", "--help-all"} & set(rest):
            return True
    return False


def all_tasks(sub: Submission) -> dict:
    """Every task of the workspace, in any environment or feature."""
    from minipixi.manifest.resolve import list_tasks

    return list_tasks(sub.workspace(), None)


# ---- explicit spec files -------------------------------------------------------------------------

def read_explicit_spec(sub: Submission, relative: str):
    """(platform, records) of an @EXPLICIT file; CheckFailed with the reader's message."""
    from minipixi.deploy.export import parse_explicit_spec

    try:
        return parse_explicit_spec(sub.read_text(relative), relative)
    except MinipixiError as err:
        raise CheckFailed(err.message + (f" ({err.hint})" if err.hint else "")) from err


# ---- Dockerfiles and activation ------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of a Dockerfile, read by `dockerfile-parse` (continuation
    lines joined, comments dropped); CheckFailed when it cannot be read."""
    from minipixi.teaching.command_reading import CommandSyntaxError, dockerfile_instructions as read

    try:
        return [(item.keyword, item.value) for item in read(text)]
    except CommandSyntaxError as err:
        raise CheckFailed(err.message) from err


def dockerfile_stages(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(stage name, instructions) per FROM; a stage without ``AS name`` is named by its index."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for instruction, args in dockerfile_instructions(text):
        if instruction == "FROM":
            words = args.split()
            lowered = [w.lower() for w in words]
            name = words[lowered.index("as") + 1] if "as" in lowered[:-1] else str(len(stages))
            stages.append((name, [("FROM", args)]))
        elif stages:
            stages[-1][1].append((instruction, args))
    return [(name, instructions[1:]) for name, instructions in stages]


def stage_bases(text: str) -> list[str]:
    """The image each stage starts FROM (``scratch``, ``ghcr.io/...``, or an earlier stage)."""
    return [args.split()[0] if args.split() else "" for word, args in dockerfile_instructions(text) if word == "FROM"]


def instruction_tree(value: str):
    """What a RUN/ENTRYPOINT/CMD value runs, as a tree (exec or shell form)."""
    from minipixi.teaching.command_reading import CommandSyntaxError, Instruction

    try:
        return Instruction("RUN", value, 0).shell_tree()
    except CommandSyntaxError as err:
        raise CheckFailed(f"a RUN instruction cannot be read: {err.message}") from err


def copies_from(args: str) -> tuple[str | None, list[str]]:
    """(``--from`` stage or None, source and destination words) of a COPY instruction."""
    words, stage = [], None
    for word in args.split():
        if word.startswith("--from="):
            stage = word.split("=", 1)[1]
        elif not word.startswith("--"):
            words.append(word)
    return stage, words


def shell_hook_environment(commands) -> str | None:
    """The environment of the first `pixi shell-hook` a run of `commands` starts (default when
    none is named), or None."""
    calls = pixi_calls(commands, "shell-hook")
    return environment_option(calls[0][1]) if calls else None


def shell_hook_calls(commands) -> list[tuple[str, object]]:
    """(environment, invocation) of every `pixi shell-hook` a run of `commands` starts: the
    invocation says where its output goes (``consumer`` eval/source, or ``redirects``)."""
    return [(environment_option(words), call) for call, words in pixi_calls(commands, "shell-hook")]


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
    from minipixi.teaching.command_reading import invocations

    tree = _tree(commands)
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
    import posixpath

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
    from minipixi.teaching.command_reading import invocations

    tree = _tree(commands)
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


_RUN_OPTIONS_WITH_VALUE = {"--manifest-path", "-m", "--color", "--cwd", "--executable", "-x"}


def cuda_override_installs(sub: Submission, environment: str, value: str) -> None:
    """CheckFailed unless CONDA_OVERRIDE_CUDA=`value` lets the locked environment install: at
    least the CUDA the workspace declares, and accepted by every ``__cuda`` requirement (depends
    or constrains) of the records the environment locks."""
    from minipixi.matchspec import MatchSpec
    from minipixi.version import Version
    from minipixi.channel.virtual_packages import default_virtual_packages

    platform = linux_platform(sub, environment)
    declared = declared_cuda(sub, environment, platform)
    hint = "compare the value with the CUDA version the workspace declares"
    try:
        too_low = declared is not None and Version(value) < Version(declared)
    except MinipixiError as err:
        raise CheckFailed(f"CONDA_OVERRIDE_CUDA={value} is not a version") from err
    if too_low:
        raise CheckFailed(f"with CONDA_OVERRIDE_CUDA={value} the '{environment}' environment would not install: {hint}")
    machine = [r for r in default_virtual_packages("linux-64", cuda=value) if r.name == "__cuda"]
    for record in environment_records(sub, environment, platform):
        for text in (*record.depends, *record.constrains):
            if text.split()[0] == "__cuda" and not MatchSpec.parse(text).matches(machine[0]):
                raise CheckFailed(f"with CONDA_OVERRIDE_CUDA={value} the locked {record.name} would not install "
                                  f"(it needs {text}): {hint}")


# ---- Apptainer definition files ------------------------------------------------------------------

def apptainer_stages(text: str) -> list[dict]:
    """Each stage of a definition file: {"header": {key: value}, "sections": {name: (args, body)}}.

    A stage starts at a ``Bootstrap:`` line; ``%files from build`` keeps ``from build`` as args.
    """
    stages: list[dict] = []
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        header = re.match(r"^([A-Za-z]+)\s*:\s*(.*)$", line)
        if header and header.group(1).lower() == "bootstrap":
            stages.append({"header": {}, "sections": {}})
            section = None
        if header and section is None and stages:
            stages[-1]["header"][header.group(1).lower()] = header.group(2).strip()
        elif stripped.startswith("%"):
            name, _, args = stripped[1:].partition(" ")
            if not stages:
                stages.append({"header": {}, "sections": {}})
            section = name.lower()
            stages[-1]["sections"][section] = (args.strip(), "")
        elif section is not None:
            args, body = stages[-1]["sections"][section]
            stages[-1]["sections"][section] = (args, body + line + "\n")
    return stages


def shell_lines(body: str) -> list[str]:
    """The non-empty, non-comment lines of a script body."""
    return [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]


# ---- batch scripts ------------------------------------------------------------------------------

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
    from minipixi.teaching.command_reading import reached, unwrap

    found = []
    for call in reached(_tree(commands)):
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


def transferred(path: str, entries: list[str]) -> bool:
    """Is `path` sent by one of the transfer_input_files entries (a folder sends what is in it)?"""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for entry in entries:
        entry_parts = [p for p in entry.strip().removeprefix("./").split("/") if p not in ("", ".")]
        if entry_parts and parts[:len(entry_parts)] == entry_parts:
            return True
        # HTCondor sends a path's last component into the job's folder
        if entry_parts and len(parts) == 1 and entry_parts[-1] == parts[0]:
            return True
    return False


# ---- GitHub Actions workflows -------------------------------------------------------------------

def workflow_triggers(data: dict) -> dict:
    """The ``on:`` of a workflow as {event: settings or None} (YAML 1.1 reads `on` as True)."""
    on = data.get("on", data.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    if isinstance(on, dict):
        return {str(event): settings for event, settings in on.items()}
    return {}


def workflow_steps(data: dict) -> list[tuple[dict, dict]]:
    """(job, step) pairs of every step of every job."""
    pairs = []
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job in (jobs or {}).values() if isinstance(jobs, dict) else []:
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict):
                pairs.append((job, step))
    return pairs


def uses_action(step: dict, action: str) -> bool:
    """Does the step use `action` (``owner/name``) at any version?"""
    uses = str(step.get("uses", ""))
    return uses.split("@", 1)[0].strip().lower() == action.lower()


# ---- CPU and GPU environments (exercises 07 and 08) ----------------------------------------------

def linux_platform(sub: Submission, environment: str) -> str:
    """The environment's linux-64 platform entry, preferring one that declares CUDA."""
    names = [p for p in platforms_of(sub, environment) if subdir_of(sub, p) == "linux-64"]
    if not names:
        raise CheckFailed(f"environment '{environment}' has no linux-64 platform")
    with_cuda = [p for p in names if declared_cuda(sub, environment, p) is not None]
    return (with_cuda or names)[0]


def require_cpu_only(sub: Submission, environment: str, subdirs=("linux-64", "osx-arm64", "win-64")) -> None:
    """On each wanted subdir the environment solves to PyTorch with no CUDA build at all."""
    platforms = platforms_of(sub, environment)
    for wanted in subdirs:
        if wanted not in {subdir_of(sub, p) for p in platforms}:
            raise CheckFailed(f"the {environment} environment should also work on {wanted}")
    for platform in platforms:
        records = environment_records(sub, environment, platform)
        if "pytorch" not in {r.name for r in records}:
            raise CheckFailed(f"the {environment} environment on {platform} has no PyTorch: which package brings it?")
        cuda = sorted(r.name for r in records if is_cuda_build(r))
        if cuda:
            raise CheckFailed(f"the {environment} environment on {platform} contains CUDA builds ({', '.join(cuda)}): "
                              "what does this environment (and its platforms) declare, and which package did you ask for?")


def require_cuda_build_for_drivers(sub: Submission, environment: str, drivers) -> None:
    """The environment, solved as the lock would be on a laptop without a GPU, holds a CUDA
    build of PyTorch that installs on a machine with each CUDA driver version in `drivers`."""
    from minipixi.errors import InstallError
    from minipixi.channel.virtual_packages import check_installable, default_virtual_packages, required_virtual_packages

    platform = linux_platform(sub, environment)
    if declared_cuda(sub, environment, platform) is None:
        raise CheckFailed(f"the lock is made on a laptop without a GPU: unless the {environment} environment's "
                          "linux-64 platform declares CUDA, the solver cannot pick a CUDA build")
    records = environment_records(sub, environment, platform)
    torch = next((r for r in records if r.name == "pytorch"), None)
    if torch is None or not is_cuda_build(torch):
        raise CheckFailed(f"the {environment} environment on linux-64 does not get a CUDA build of PyTorch")
    for driver in drivers:
        try:
            check_installable(required_virtual_packages(records), default_virtual_packages("linux-64", cuda=driver),
                              environment=environment)
        except InstallError as err:
            raise CheckFailed(f"the locked {environment} environment would not install on a machine with a CUDA "
                              f"{driver} driver ({err.message}); what minimum does it ask for?") from err


CUDA_12_DRIVERS = ("12.0", "12.2", "12.4", "12.6", "12.8", "12.9")


def require_cuda_build_for_any_cuda12_driver(sub: Submission, environment: str) -> None:
    """Property: for any few CUDA 12 driver versions (hypothesis draws them), the environment's
    locked CUDA build installs on machines with each (`require_cuda_build_for_drivers`)."""
    from hypothesis import given, strategies as st

    @property_settings()
    @given(st.lists(st.sampled_from(CUDA_12_DRIVERS), min_size=1, max_size=3))
    def installs_with(drivers):
        require_cuda_build_for_drivers(sub, environment, drivers)

    installs_with()


def require_cuda_explanation(sub: Submission, environment: str) -> None:
    """Without a CUDA driver the environment cannot be solved, and the solver names __cuda (with a
    submitted pixi.lock: a locked record needs __cuda, so it would not install without one)."""
    platform = linux_platform(sub, environment)
    if submitted_lock(sub) is not None:
        records = environment_records(sub, environment, platform)
        if not any(text.split()[0] == "__cuda" for record in records for text in record.depends):
            raise CheckFailed(f"no package locked for the {environment} environment needs a CUDA driver: "
                              "is it really a GPU build?")
        return
    error = solve_error(sub, environment, platform, cuda=None)
    if error is None:
        raise CheckFailed(f"the {environment} environment solves even without CUDA: is it really asking for a GPU build?")
    if "__cuda" not in f"{error.message} {error.details or ''}":
        raise CheckFailed("without CUDA the solve fails, but not because of __cuda")


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
    import tomllib

    try:
        return tomllib.loads(sub.read_text(relative))
    except tomllib.TOMLDecodeError as err:
        raise CheckFailed(f"{relative} is not valid TOML: {err}") from err


# ---- global manifests (exercise 14) ------------------------------------------------------------

def read_global_manifest(sub: Submission, relative: str = "pixi-global.toml") -> dict:
    """{name: GlobalEnvironment} of a global manifest in the submission, read by minipixi's own
    parser; CheckFailed with the parser's place (file:line:column), message and hint."""
    from minipixi.app.global_tools import parse_global_manifest

    text = sub.read_text(relative)
    try:
        return parse_global_manifest(text, relative)
    except MinipixiError as err:
        raise CheckFailed(f"{err.where or relative}: {err.message}" + (f" ({err.hint})" if err.hint else "")) from err


def global_environment_programs(sub: Submission, env, subdir: str | None = None) -> list[str]:
    """The programs a global environment's packages install into ``bin/``: solved and installed
    offline from the teaching channel into the grader's scratch folder, for this machine (or
    `subdir`). CheckFailed, with the solver's message, when it cannot be installed."""
    from minipixi.config import Config
    from minipixi.app.global_tools import executables, install_environment

    prefix = sub.scratch / "global-envs" / (subdir or "this-machine") / env.name
    try:
        install_environment(env, Config(offline=True), prefix, subdir)
    except MinipixiError as err:
        where = f" on {subdir}" if subdir else ""
        raise CheckFailed(f"environment '{env.name}' cannot be installed{where}: {err.message}") from err
    return executables(prefix)


def update_global_tools(sub: Submission, relative: str = "pixi-global.toml"):
    """A fresh ``MINIPIXI_HOME`` that holds only the submission's global manifest, after
    `minipixi global update` (offline): what a new machine has once the file is copied there.
    Returns the home folder; CheckFailed with minipixi's message when the update fails."""
    import shutil

    from minipixi.config import Config, temporary_environ
    from minipixi.app.global_tools import manifest_path, update_tools

    home = sub.scratch / "fresh-home"
    shutil.rmtree(home, ignore_errors=True)
    with temporary_environ({"MINIPIXI_HOME": str(home)}):
        manifest_path().parent.mkdir(parents=True)
        manifest_path().write_text(sub.read_text(relative), encoding="utf-8")
        try:
            update_tools([], config=Config(offline=True))
        except MinipixiError as err:
            raise CheckFailed(f"`minipixi global update` stops on a fresh machine: {err.message}") from err
    return home


# ---- hypothesis inside a check -----------------------------------------------------------------

def property_settings():
    """Settings for a hypothesis property inside a check: few examples, always the same ones,
    no example database, no deadline, and no health check that would fail a learner's grade
    (e.g. when the grader itself runs inside a hypothesis test)."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=8, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))
