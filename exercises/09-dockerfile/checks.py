"""Checks for exercise 09: a multi-stage Dockerfile that installs only the locked gpu environment."""

from minipixi.teaching.checks.cuda import cuda_override_installs
from minipixi.teaching.grade import CheckFailed, check
from minipixi.teaching.reading.dockerfile import (
    copies_from, dockerfile_stages, instruction_tree, key_values, stage_bases,
)
from minipixi.teaching.reading.pixi_calls import (
    CUDA_OVERRIDE, absolute_path, activation_order, hook_files, installed_environments, pixi_calls,
    shell_assignments, shell_hook_calls,
)

TITLE = "A container image for the GPU environment"


def stages(sub):
    found = dockerfile_stages(sub.read_text("Dockerfile"))
    if not found:
        raise CheckFailed("the Dockerfile has no FROM instruction")
    return found


def runs(sub):
    """[(stage index, instruction index, tree)] of every RUN, its command read as bash."""
    return [(s, i, instruction_tree(args)) for s, (_, instructions) in enumerate(stages(sub))
            for i, (word, args) in enumerate(instructions) if word == "RUN"]


def installs(sub):
    """[(stage index, instruction index, environment, locked?)] for every pixi install a RUN
    really starts (an echoed or skipped command is not an install)."""
    return [(s, i, env, locked) for s, i, tree in runs(sub) for env, locked in installed_environments(tree)]


def workdir_before(instructions, index: int) -> str:
    """The WORKDIR in force at instruction `index` of a stage."""
    current = "/"
    for word, args in instructions[:index]:
        if word == "WORKDIR":
            current = absolute_path(args.strip(), current)
    return current


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
    tree = instruction_tree(instructions[index][1])
    call = pixi_calls(tree, "install")[0][0]
    value = shell_assignments(tree, before=call.order).get(CUDA_OVERRIDE)
    for word, args in instructions[:index]:
        if value is None and word in ("ENV", "ARG"):
            value = key_values(args).get(CUDA_OVERRIDE) or value
    if value is None:
        after = any(word in ("ENV", "ARG") and CUDA_OVERRIDE in key_values(args) for word, args in instructions[index:])
        raise CheckFailed("nothing tells the solver about CUDA when the environment is installed"
                          + (": look at the order of the instructions" if after else
                             "; what does a build machine without a GPU lack?"))
    cuda_override_installs(sub, env if env != "*" else "gpu", value)


@check(points=1)
def check_entrypoint_activates_gpu(sub):
    """The final stage's ENTRYPOINT runs, in an image with a shell, a script filled by
    `pixi shell-hook` for the gpu environment (or activates gpu itself)."""
    found = stages(sub)
    final = found[-1][1]
    entrypoints = [i for i, (word, _) in enumerate(final) if word == "ENTRYPOINT"]
    if not entrypoints:
        raise CheckFailed("the final stage has no ENTRYPOINT")
    if stage_bases(sub.read_text("Dockerfile"))[-1].lower() == "scratch":
        raise CheckFailed("the final stage starts FROM scratch: there is no shell there to activate an environment")
    hooks = [(env, call) for _, _, tree in runs(sub) for env, call in shell_hook_calls(tree)]
    if not hooks:
        raise CheckFailed("nothing in the Dockerfile runs `pixi shell-hook` to make the activation script")
    if "gpu" not in {env for env, _ in hooks}:
        raise CheckFailed(f"the shell-hook activates {', '.join(sorted({e for e, _ in hooks}))}: "
                          "which environment does the image hold?")
    index = entrypoints[-1]
    scripts = _gpu_hook_scripts(sub, found)
    workdir = workdir_before(final, index)
    if activation_order(instruction_tree(final[index][1]), "gpu", scripts, workdir, entrypoint=True) is None:
        raise CheckFailed("the ENTRYPOINT does not run the activation script made by `pixi shell-hook` for gpu "
                          "(in the final stage): what does the container start with?")


def _gpu_hook_scripts(sub, found) -> set[str]:
    """The shell-hook scripts for gpu that exist in the final stage: written there, copied from
    the stage that wrote them (the file or a folder above it), or inherited with FROM."""
    bases = stage_bases(sub.read_text("Dockerfile"))
    written: dict[str, set[str]] = {}
    for name, instructions in found:
        for i, (word, args) in enumerate(instructions):
            if word == "RUN":
                files = hook_files(instruction_tree(args), "gpu", workdir_before(instructions, i))
                written.setdefault(name, set()).update(files)
    final_name, final = found[-1]
    scripts = set(written.get(final_name, set()))
    if bases[-1] in written:
        scripts |= written[bases[-1]]
    for i, (word, args) in enumerate(final):
        stage, paths = copies_from(args) if word == "COPY" else (None, [])
        if stage in written and len(paths) >= 2:
            workdir = workdir_before(final, i)
            destination = absolute_path(paths[-1], workdir)
            for source in paths[:-1]:
                source = absolute_path(source, "/")
                for script in written[stage]:
                    if script == source:
                        to_folder = paths[-1].endswith("/") or len(paths) > 2
                        scripts.add(absolute_path(script.rsplit("/", 1)[-1], destination) if to_folder else destination)
                    elif script.startswith(source.rstrip("/") + "/"):
                        scripts.add(destination.rstrip("/") + script[len(source.rstrip("/")):])
    return scripts


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
