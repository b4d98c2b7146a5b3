"""Checks for exercise 07: a CPU and a GPU environment in one workspace."""

from hypothesis import given, strategies as st

from minipixi.checks import (
    declared_cuda, is_cuda_build, platforms_of, property_settings, require_environment, solve, solve_error,
    subdir_of,
)
from minipixi.grade import CheckFailed, check
from minipixi.version import Version

TITLE = "A CPU and a GPU environment in one workspace"
PROPERTY = property_settings()


def linux_platform(sub, environment):
    names = [p for p in platforms_of(sub, environment) if subdir_of(sub, p) == "linux-64"]
    if not names:
        raise CheckFailed(f"environment '{environment}' has no linux-64 platform")
    return names[0]


@check(points=1)
def check_both_environments(sub):
    """The workspace defines a `cpu` and a `gpu` environment."""
    require_environment(sub, "cpu")
    require_environment(sub, "gpu")


@check(points=2)
def check_cpu_never_cuda(sub):
    """On every platform, the cpu environment solves to PyTorch without any CUDA build."""
    platforms = platforms_of(sub, "cpu")
    for wanted in ("linux-64", "osx-arm64", "win-64"):
        if wanted not in {subdir_of(sub, p) for p in platforms}:
            raise CheckFailed(f"the cpu environment should also work on {wanted}")
    for platform in platforms:
        records = solve(sub, "cpu", platform)
        names = {r.name for r in records}
        if "pytorch" not in names:
            raise CheckFailed(f"the cpu environment on {platform} has no PyTorch: which package brings it?")
        cuda = sorted(r.name for r in records if is_cuda_build(r))
        if cuda:
            raise CheckFailed(f"the cpu environment on {platform} contains CUDA builds ({', '.join(cuda)}): "
                          "what does this environment declare, and which package did you ask for?")


@check(points=1)
def check_gpu_declares_cuda(sub):
    """The gpu environment declares CUDA 12 (or newer) for linux-64."""
    version = declared_cuda(sub, "gpu", linux_platform(sub, "gpu"))
    if version is None:
        raise CheckFailed("the gpu environment does not declare CUDA, so no CUDA build can be chosen")
    if Version(version) < Version("12"):
        raise CheckFailed(f"the gpu environment declares CUDA {version}; the task asks for 12")


@check(points=3)
def check_gpu_uses_cuda_for_any_driver(sub):
    """The gpu environment locks a CUDA build of PyTorch that installs on every CUDA 12 machine."""
    from minipixi.errors import InstallError
    from minipixi.virtual_packages import check_installable, default_virtual_packages, required_virtual_packages

    platform = linux_platform(sub, "gpu")
    if declared_cuda(sub, "gpu", platform) is None:
        raise CheckFailed("the lock is made on a laptop without a GPU: unless the gpu environment declares "
                          "CUDA, the solver cannot pick a CUDA build")
    records = solve(sub, "gpu", platform)
    torch = next((r for r in records if r.name == "pytorch"), None)
    if torch is None or not is_cuda_build(torch):
        raise CheckFailed("the gpu environment on linux-64 does not get a CUDA build of PyTorch")

    @PROPERTY
    @given(st.sampled_from(["12.0", "12.2", "12.4", "12.6", "12.8", "12.9"]))
    def installs_with(driver):
        machine = default_virtual_packages("linux-64", cuda=driver)
        try:
            check_installable(required_virtual_packages(records), machine, environment="gpu")
        except InstallError as err:
            raise CheckFailed(f"the locked gpu environment would not install on a machine with a CUDA {driver} "
                              f"driver ({err.message}); what minimum does it ask for?") from err

    installs_with()


@check(points=1, hidden=True)
def check_gpu_needs_a_driver(sub):
    """Without a CUDA driver, the gpu environment cannot be solved, and the solver says why."""
    error = solve_error(sub, "gpu", linux_platform(sub, "gpu"), cuda=None)
    if error is None:
        raise CheckFailed("the gpu environment solves even without CUDA: is it really asking for a GPU build?")
    if "__cuda" not in f"{error.message} {error.details or ''}":
        raise CheckFailed("without CUDA the solve fails, but not because of __cuda")
