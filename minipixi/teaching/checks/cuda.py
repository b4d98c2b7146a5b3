"""Checks on CPU and GPU environments: what a CUDA build needs, and on which machines it installs.

The GPU exercises ask for properties no single solve can show. A ``cpu`` environment must get no
CUDA build on any of the lesson's platforms (`require_cpu_only`). A ``gpu`` environment is locked
on a laptop without a GPU, so its linux-64 platform must *declare* CUDA for the solver to pick a
CUDA build; that build must then install on real machines with any CUDA 12 driver, which
hypothesis draws (`require_cuda_build_for_any_cuda12_driver`), checked with the installer's own
rule (`channel/virtual_packages.py`: `check_installable`). Without a driver the environment must
fail to solve *because of* ``__cuda`` (`require_cuda_explanation`). And a container image that
sets ``CONDA_OVERRIDE_CUDA`` must set a value the locked records accept (`cuda_override_installs`).

Every record comes from `teaching/checks/environments.py` (`environment_records`): the learner's
own pixi.lock when there is one, else a solve on the teaching channel.

Lesson: episode 5 (CUDA conda packages) and the container episodes. Read after
`teaching/checks/files.py`; read next `teaching/reading/commands.py`.
"""

from __future__ import annotations

from minipixi.channel.virtual_packages import check_installable, default_virtual_packages, required_virtual_packages
from minipixi.errors import InstallError, MinipixiError
from minipixi.matchspec import MatchSpec
from minipixi.teaching.checks.environments import (
    declared_cuda, environment_records, is_cuda_build, platforms_of, solve_error, subdir_of, submitted_lock,
)
from minipixi.teaching.grade import CheckFailed, Submission, property_settings
from minipixi.version import Version


# ---- CPU and GPU environments (exercises 07 and 08) ---------------------------------------

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
    from hypothesis import given, strategies as st  # lazy: hypothesis loads only for property checks

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


# ---- CONDA_OVERRIDE_CUDA in an image (exercises 09 and 10) ----------------------------------

def cuda_override_installs(sub: Submission, environment: str, value: str) -> None:
    """CheckFailed unless CONDA_OVERRIDE_CUDA=`value` lets the locked environment install: at
    least the CUDA the workspace declares, and accepted by every ``__cuda`` requirement (depends
    or constrains) of the records the environment locks."""
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
