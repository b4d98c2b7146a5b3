"""Checks for exercise 10: a two-stage Apptainer definition for the locked gpu environment."""

from minipixi.teaching.checks.cuda import cuda_override_installs
from minipixi.teaching.grade import CheckFailed, check
from minipixi.teaching.reading.apptainer import apptainer_stages, shell_lines
from minipixi.teaching.reading.commands import reached
from minipixi.teaching.reading.pixi_calls import (
    CUDA_OVERRIDE, activation_order, hook_files, installed_environments, pixi_calls, sets_cuda_override,
    shell_assignments,
)
from minipixi.teaching.reading.shell import read_commands

TITLE = "An Apptainer image for the GPU environment"


def stages(sub):
    found = apptainer_stages(sub.read_text("apptainer.def"))
    if not found or not found[0]["header"].get("bootstrap"):
        raise CheckFailed("apptainer.def does not start with a header (Bootstrap: ..., From: ...)")
    return found


def post_bodies(sub) -> list[str]:
    return [stage["sections"]["post"][1] for stage in stages(sub) if "post" in stage["sections"]]


def post_trees(sub) -> list:
    """Each %post section read as bash (what the build runs)."""
    return [read_commands(body, "%post") for body in post_bodies(sub)]


@check(points=1)
def check_sections(sub):
    """Some stage has %files and %post; the final stage has %runscript, %startscript and a %test that runs something."""
    found = stages(sub)
    built = {name for stage in found for name in stage["sections"]}
    final = found[-1]["sections"]
    missing = [f"%{n}" for n in ("files", "post") if n not in built] + \
              [f"%{n}" for n in ("runscript", "startscript", "test") if n not in final]
    if missing:
        raise CheckFailed(f"the definition (its final stage, for the run sections) lacks {', '.join(missing)}")
    if not [c for c in reached(read_commands(final["test"][1], "%test")) if c.words]:
        raise CheckFailed("%test runs nothing")


@check(points=2)
def check_installs_only_gpu_locked(sub):
    """%post installs exactly one environment, gpu, from the lock as it is."""
    found = [item for tree in post_trees(sub) for item in installed_environments(tree)]
    if not found:
        raise CheckFailed("no %post section installs an environment with pixi")
    names = sorted({env for env, _ in found})
    if names != ["gpu"] or len(found) > 1:
        shown = ", ".join("every environment" if n == "*" else f"'{n}'" for n in names)
        again = " more than once" if names == ["gpu"] else ""
        raise CheckFailed(f"the image installs {shown}{again}: which environment does it need, once?")
    if not found[0][1]:
        raise CheckFailed("the install may solve again and change versions: which option installs exactly the lock?")


@check(points=1)
def check_cuda_override_before_install(sub):
    """CONDA_OVERRIDE_CUDA is set in %post before the install, to a CUDA version the lock accepts."""
    for tree in post_trees(sub):
        calls = pixi_calls(tree, "install")
        if calls:
            value = shell_assignments(tree, before=calls[0][0].order).get(CUDA_OVERRIDE)
            if value is None:
                raise CheckFailed("nothing tells the solver about CUDA when %post installs the environment"
                                  + (": look at the order of the lines" if sets_cuda_override(tree) else ""))
            return cuda_override_installs(sub, "gpu", value)
    raise CheckFailed("no %post section installs an environment with pixi")


@check(points=1)
def check_multi_stage(sub):
    """A named build stage, and a final stage that takes the gpu environment with `%files from <stage>`."""
    found = stages(sub)
    names = {stage["header"].get("stage") for stage in found[:-1]} - {None}
    if len(found) < 2 or not names:
        raise CheckFailed("the definition has a single stage (or its first stage has no Stage: name)")
    args, body = found[-1]["sections"].get("files", ("", ""))
    source = args.split()[1] if args.startswith("from ") and len(args.split()) > 1 else None
    if source not in names:
        raise CheckFailed("the final stage takes no files from the build stage: look at its %files header")
    if not any(line.split()[0].rstrip("/").endswith(".pixi/envs/gpu") for line in shell_lines(body)):
        raise CheckFailed("the final stage's %files does not bring the installed gpu environment")


@check(points=1, hidden=True)
def check_run_sections_activate_gpu(sub):
    """%runscript, %startscript and %test run their commands in the activated gpu environment."""
    found = stages(sub)
    scripts = set().union(*[hook_files(tree, "gpu") for tree in post_trees(sub)])
    for name in ("runscript", "startscript", "test"):
        if name not in found[-1]["sections"]:
            continue  # check_sections reports a missing section
        tree = read_commands(found[-1]["sections"][name][1], f"%{name}")
        if activation_order(tree, "gpu", scripts) is None:
            raise CheckFailed(f"%{name} does not activate the gpu environment before running its commands")
