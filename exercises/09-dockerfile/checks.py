"""Checks for exercise 09: a multi-stage Dockerfile that installs only the locked gpu environment."""

from minipixi.checks import (
    copies_from, cuda_override_installs, dockerfile_stages, installed_environments, sets_cuda_override,
    shell_hook_environment,
)
from minipixi.grade import CheckFailed, check

TITLE = "A container image for the GPU environment"


def stages(sub):
    found = dockerfile_stages(sub.read_text("Dockerfile"))
    if not found:
        raise CheckFailed("the Dockerfile has no FROM instruction")
    return found


def installs(sub):
    """[(stage index, instruction index, environment, locked?)] for every pixi install in a RUN."""
    return [(s, i, env, locked) for s, (_, instructions) in enumerate(stages(sub))
            for i, (word, args) in enumerate(instructions) if word == "RUN"
            for env, locked in installed_environments(args)]


@check(points=1)
def check_multi_stage(sub):
    """The Dockerfile has a build stage and a later production stage."""
    if len(stages(sub)) < 2:
        raise CheckFailed("the Dockerfile has a single stage: everything used to build ends up in the image")


@check(points=2)
def check_installs_only_gpu_locked(sub):
    """Exactly one environment, gpu, is installed, from the lock file as it is."""
    found = installs(sub)
    if not found:
        raise CheckFailed("no RUN instruction installs an environment with pixi")
    names = sorted({env for *_, env, _ in found})
    if names != ["gpu"]:
        shown = ", ".join("every environment" if n == "*" else f"'{n}'" for n in names)
        raise CheckFailed(f"the image installs {shown}; which environment does the image need?")
    if len(found) > 1:
        raise CheckFailed("the gpu environment is installed more than once")
    if not found[0][3]:
        raise CheckFailed("the install may solve again and change versions: which option installs exactly the lock?")


@check(points=2)
def check_cuda_override_before_install(sub):
    """CONDA_OVERRIDE_CUDA is set before the install, to a CUDA version the locked environment accepts."""
    found = installs(sub)
    if not found:
        raise CheckFailed("no RUN instruction installs an environment with pixi")
    stage, index, env, _ = found[0]
    instructions = stages(sub)[stage][1]
    before = [args for word, args in instructions[:index] if word in ("ENV", "ARG")]
    run = instructions[index][1]
    inline = run[:run.find("install")]
    value = sets_cuda_override(inline) or next((sets_cuda_override(a) for a in reversed(before)
                                               if sets_cuda_override(a)), None)
    if value is None:
        after = any(sets_cuda_override(a) for w, a in instructions[index + 1:])
        raise CheckFailed("nothing tells the solver about CUDA when the environment is installed"
                          + (": look at the order of the instructions" if after else
                             "; what does a build machine without a GPU lack?"))
    cuda_override_installs(sub, env if env != "*" else "gpu", value)


@check(points=1)
def check_entrypoint_activates_gpu(sub):
    """The final stage has an ENTRYPOINT, made with `pixi shell-hook` for the gpu environment."""
    if not any(word == "ENTRYPOINT" for word, _ in stages(sub)[-1][1]):
        raise CheckFailed("the final stage has no ENTRYPOINT")
    hooks = [shell_hook_environment(args) for _, instructions in stages(sub)
             for word, args in instructions if word == "RUN" and shell_hook_environment(args)]
    if not hooks:
        raise CheckFailed("nothing in the Dockerfile runs `pixi shell-hook` to make the activation script")
    if "gpu" not in hooks:
        raise CheckFailed(f"the shell-hook activates {', '.join(hooks)}: which environment does the image hold?")


@check(points=1, hidden=True)
def check_production_copies_gpu_environment(sub):
    """The final stage copies the installed gpu environment (.pixi/envs/gpu) from an earlier stage."""
    found = stages(sub)
    earlier = {name for name, _ in found[:-1]}
    for word, args in found[-1][1]:
        stage, paths = copies_from(args) if word == "COPY" else (None, [])
        if stage in earlier and any(p.rstrip("/").endswith(".pixi/envs/gpu") for p in paths[:-1]):
            return
    raise CheckFailed("the final stage does not copy the gpu environment out of the build stage")
