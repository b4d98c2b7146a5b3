"""Checks for exercise 08: the cpu/gpu workspace of exercise 07 with rich platform entries."""

from minipixi.teaching.checks.cuda import (
    linux_platform, require_cpu_only, require_cuda_build_for_any_cuda12_driver, require_cuda_explanation,
)
from minipixi.teaching.checks.environments import declared_cuda
from minipixi.teaching.checks.files import read_toml, toml_keys
from minipixi.teaching.grade import CheckFailed, check
from minipixi.version import Version

TITLE = "The same workspace with rich platform entries"


@check(points=1)
def check_no_system_requirements(sub):
    """No [system-requirements] table is left (the deprecated form)."""
    old = [".".join(path) for path in toml_keys(read_toml(sub, "pixi.toml")) if path[-1] == "system-requirements"]
    if old:
        raise CheckFailed(f"pixi.toml still has {', '.join(old)}: where does current Pixi want this information?")


def require_rich_cuda_platform(sub):
    """The gpu environment's linux-64 platform is a rich entry that declares CUDA 12 or newer."""
    platform = linux_platform(sub, "gpu")
    entry = sub.workspace().platform(platform)
    version = declared_cuda(sub, "gpu", platform)
    if not entry.rich or "cuda" not in entry.virtual:
        raise CheckFailed("the gpu environment's linux-64 platform is a plain entry that declares no CUDA")
    if version is None or Version(version) < Version("12"):
        raise CheckFailed(f"the CUDA platform entry declares CUDA {version}; the task asks for 12 or newer")


@check(points=1)
def check_rich_cuda_platform(sub):
    """The gpu environment uses a linux-64 platform entry that declares CUDA 12 or newer."""
    require_rich_cuda_platform(sub)


@check(points=2)
def check_cpu_never_cuda(sub):
    """On linux-64, osx-arm64 and win-64, the cpu environment has PyTorch without CUDA."""
    require_cpu_only(sub, "cpu")


@check(points=3)
def check_gpu_uses_cuda_for_any_driver(sub):
    """With CUDA declared by its platform entry (what the exercise asks), the gpu environment
    locks a CUDA build of PyTorch that installs on every CUDA 12 machine."""
    try:
        require_rich_cuda_platform(sub)
    except CheckFailed as failed:
        raise CheckFailed(f"the gpu environment's CUDA does not come from a platform entry: {failed.feedback}") from failed
    require_cuda_build_for_any_cuda12_driver(sub, "gpu")


@check(points=1, hidden=True)
def check_gpu_needs_a_driver(sub):
    """Without a CUDA driver, the gpu environment cannot be solved, and the solver says why."""
    require_cuda_explanation(sub, "gpu")
