"""Checks for exercise 01: packages and a JupyterLab task in the default environment."""

from hypothesis import given, strategies as st

from minipixi.teaching.checks.environments import environment_records, manifest_dependency_names, platforms_of
from minipixi.teaching.checks.tasks import all_tasks, starts_jupyterlab, task_tree
from minipixi.teaching.grade import CheckFailed, check, property_settings

TITLE = "Packages and a task for JupyterLab"
PROPERTY = property_settings()
WANTED = ("python", "numpy", "notebook", "jupyterlab")


@check(points=1)
def check_dependencies_declared(sub):
    """The default environment asks for python, numpy, notebook and jupyterlab."""
    for platform in platforms_of(sub, "default"):
        missing = [name for name in WANTED if name not in manifest_dependency_names(sub, "default", platform)]
        if missing:
            raise CheckFailed(f"on {platform} the default environment does not ask for {', '.join(missing)}; "
                              "look at [dependencies]")


@check(points=2)
def check_solves_everywhere(sub):
    """On every platform the workspace lists, the default environment holds the packages (as its
    submitted pixi.lock says, checked against pixi.toml; without a lock, solved on the mirror)."""
    platforms = platforms_of(sub, "default")

    @PROPERTY
    @given(st.sampled_from(platforms))
    def solves_on(platform):
        names = {record.name for record in environment_records(sub, "default", platform)}
        missing = [name for name in WANTED if name not in names]
        if missing:
            raise CheckFailed(f"on {platform} the solved environment has no {', '.join(missing)}")

    solves_on()


@check(points=2)
def check_lab_task(sub):
    """A task called `lab` starts JupyterLab."""
    tasks = all_tasks(sub)
    if "lab" not in tasks:
        raise CheckFailed("there is no task called 'lab'; look at [tasks]")
    if tasks["lab"].cmd is None:
        raise CheckFailed("the lab task has no command of its own")
    environment = "default" if "lab" in _default_tasks(sub) else _any_environment_with(sub, "lab")
    if not starts_jupyterlab(task_tree(sub, environment, "lab")):
        raise CheckFailed("the lab task runs a command, but not one that starts JupyterLab: "
                          "which command opens the lab interface (not the classic notebook)?")


@check(points=1, hidden=True)
def check_lab_in_default_environment(sub):
    """`minipixi run lab` works without naming an environment."""
    if "lab" not in _default_tasks(sub):
        raise CheckFailed("the lab task is not part of the default environment: which table is it in?")


def _default_tasks(sub):
    from minipixi.manifest.resolve import list_tasks

    return list_tasks(sub.workspace(), "default")


def _any_environment_with(sub, task):
    from minipixi.manifest.resolve import list_tasks

    for name in sub.workspace().environments:
        if task in list_tasks(sub.workspace(), name):
            return name
    raise CheckFailed(f"no environment has the task '{task}'")
