"""Checks on environments: what the learner's pixi.toml declares, and what it installs.

Every exercise from the first manifest to the GPU container asks the same questions of a
workspace: which environments and platforms does it declare (`require_environment`,
`platforms_of`), what does an environment ask for (`manifest_dependency_names`), and what does
it install (`environment_records`)? They are answered by minipixi itself, so a correct answer
passes however it is written (any order, any quoting, old or new manifest forms):

- with a pixi.lock in the submission (made with real Pixi and real conda-forge, say), the
  records it locks, checked *structurally* against pixi.toml by the same rules `minipixi lock
  --check` uses (`app/relock.py`: `outdated_reasons`), never solved again, so a correct answer
  does not depend on which versions the teaching mirror holds;
- without one, the environment solved on the teaching channel (`solve`), for this machine's
  declared CUDA or for a made-up driver (``cuda=``), which the CUDA checks vary.

Only conda-forge's teaching mirror is read: a channel the submission declares (``./chan``, a
URL of its own) is a finding, never read or installed from.

Lesson: every episode's challenges. Read after `teaching/grade.py`; read next
`teaching/checks/tasks.py`.
"""

from __future__ import annotations

from minipixi.app.relock import load_sources, outdated_reasons, solve_task
from minipixi.channel.load import READABLE_CHANNELS, ChannelRefused
from minipixi.channel.virtual_packages import default_virtual_packages
from minipixi.errors import MinipixiError
from minipixi.lock.model import lock_platform_names
from minipixi.lock.read import parse_lock
from minipixi.manifest.resolve import require_conda_only
from minipixi.matchspec_parse import channel_base_url
from minipixi.solver import solve as run_solver
from minipixi.teaching.grade import CheckFailed, Submission
from minipixi.version import parse_version


# ---- the manifest -----------------------------------------------------------------------------

def require_environment(sub: Submission, name: str):
    """The environment called `name`; CheckFailed naming the ones pixi.toml has."""
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
    """The conda subdir of a platform entry (a rich entry's name need not be its subdir)."""
    return sub.workspace().platform(platform).subdir


def manifest_dependency_names(sub: Submission, environment: str, platform: str) -> list[str]:
    """The names an environment asks for on a platform (after features and targets are merged)."""
    return sorted(sub.workspace().resolve(environment, platform).specs)


def declared_cuda(sub: Submission, environment: str, platform: str) -> str | None:
    """The CUDA version an environment declares for a platform (``__cuda``), or None."""
    return sub.workspace().resolve(environment, platform).virtual_packages.get("__cuda")


# ---- what an environment installs: solved, or as the learner locked it -----------------------

def solve(sub: Submission, environment: str, platform: str, *, cuda: str | None = "declared"):
    """Records of `environment` on `platform`, solved on the teaching channel.

    `cuda`: "declared" uses what the manifest declares; None removes ``__cuda``; a version
    string replaces it (a machine with that driver). Raises CheckFailed when unsolvable.
    """
    project = sub.project()
    resolved = project.workspace.resolve(environment, platform)
    require_conda_only(resolved, project.workspace)
    options = resolved.virtual_package_options()
    if cuda != "declared":
        options["cuda"] = cuda
    try:
        sources = load_sources(project.config, resolved.channels, resolved.subdir)
    except ChannelRefused as err:  # a channel of the learner's own: a finding, never read
        raise CheckFailed(f"environment '{environment}': {err.message} ({err.hint})") from err
    except MinipixiError as err:
        raise CheckFailed(f"the grader has no packages for {resolved.subdir} (platform '{platform}'): "
                          "is that platform name one the lesson uses?") from err
    task = solve_task(project.config, resolved.specs.values(), channels=resolved.channels, subdir=resolved.subdir,
                      virtual_packages=default_virtual_packages(resolved.subdir, **options),
                      constraints=resolved.constraint_specs.values(), label=f"environment '{environment}'",
                      sources=sources)
    try:
        return run_solver(task)
    except MinipixiError as err:
        raise CheckFailed(f"environment '{environment}' cannot be solved for {platform}: "
                          f"{err.message}\n{err.details or ''}".rstrip()) from err


def submitted_lock(sub: Submission):
    """The submission's pixi.lock read by minipixi's lock reader, or None when there is none;
    CheckFailed with the reader's place and message when it cannot be read."""
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
    readable = READABLE_CHANNELS.get()
    return None if readable is None else {url.rstrip("/") for url in readable}


def _require_accepted_channels(sub: Submission, environment: str, platform: str) -> None:
    """CheckFailed when the environment asks for a channel grading does not accept (a local
    folder of the learner's: a finding, never read)."""
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


# ---- questions about the records -------------------------------------------------------------

def is_cuda_build(record) -> bool:
    """A record built for CUDA: its build string says so, or it needs ``__cuda``."""
    return record.build.startswith("cuda") or record.depends_on("__cuda")


def solved_versions(sub: Submission, environment: str, platform: str) -> dict[str, object]:
    """{name: record} of an environment: its submitted lock, or solved on the teaching mirror
    (`environment_records`)."""
    return {record.name: record for record in environment_records(sub, environment, platform)}


def has_upper_bound(spec) -> bool:
    """Does a MatchSpec bound its version from above (``=2.3``, ``>=2.3,<3``, ``==4.4.3``)? A bare
    name or an open range (``>=2.3``) accepts any future major version, which may break."""
    return spec.version is not None and not spec.version.matches(parse_version("99999"))
