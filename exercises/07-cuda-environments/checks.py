"""Checks for exercise 07: a CPU and a GPU environment in one workspace.

The solving properties are shared with exercise 08 (the same workspace written with platform
entries): see `require_cpu_only` and `require_cuda_build_for_any_cuda12_driver` in
minipixi/teaching/checks/cuda.py.
"""

from minipixi.teaching.checks.cuda import (
    linux_platform, require_cpu_only, require_cuda_build_for_any_cuda12_driver, require_cuda_explanation,
)
from minipixi.teaching.checks.environments import declared_cuda, require_environment
from minipixi.teaching.grade import CheckFailed, check
from minipixi.version import Version

TITLE = "A CPU and a GPU environment in one workspace"


@check(points=1)
def check_both_environments(sub):
    """The workspace defines a `cpu` and a `gpu` environment."""
    require_environment(sub, "cpu")
    require_environment(sub, "gpu")


@check(points=2)
def check_cpu_never_cuda(sub):
    """On every platform, the cpu environment solves to PyTorch without any CUDA build."""
    require_cpu_only(sub, "cpu")


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
    require_cuda_build_for_any_cuda12_driver(sub, "gpu")


@check(points=1, hidden=True)
def check_gpu_needs_a_driver(sub):
    """Without a CUDA driver, the gpu environment cannot be solved, and the solver says why."""
    require_cuda_explanation(sub, "gpu")
