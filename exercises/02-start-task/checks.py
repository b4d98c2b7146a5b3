"""Checks for exercise 02: a `start` task that depends on `lab`."""

from minipixi.teaching.checks.tasks import all_tasks, starts_jupyterlab, task_plan, task_tree
from minipixi.teaching.grade import CheckFailed, check

TITLE = "A task that depends on another"


@check(points=2)
def check_start_reaches_lab(sub):
    """`minipixi run start` runs `lab` before `start`."""
    plan = task_plan(sub, "default", "start")
    if "lab" not in plan:
        raise CheckFailed("running start does not run lab: what does start depend on?")
    if plan.index("lab") > plan.index("start"):
        raise CheckFailed("lab runs after start; it should run before")


@check(points=1)
def check_task_graph_acyclic(sub):
    """Every task can be planned: no task depends on itself through others, none on a missing task."""
    from minipixi.manifest.resolve import list_tasks

    for environment in sub.workspace().environments:
        for name in list_tasks(sub.workspace(), environment):
            task_plan(sub, environment, name)


@check(points=1)
def check_lab_still_starts_jupyterlab(sub):
    """The `lab` task still starts JupyterLab."""
    if "lab" not in all_tasks(sub):
        raise CheckFailed("there is no task called 'lab' any more; look at [tasks]")
    if not starts_jupyterlab(task_tree(sub, "default", "lab")):
        raise CheckFailed("the lab task no longer starts JupyterLab: what did you change in it?")


@check(points=1, hidden=True)
def check_jupyterlab_starts_once(sub):
    """Running `start` starts JupyterLab exactly once."""
    starts = [name for name in task_plan(sub, "default", "start")
              if starts_jupyterlab(task_tree(sub, "default", name))]
    if len(starts) != 1:
        raise CheckFailed(f"running start would start JupyterLab {len(starts)} times (in: "
                          f"{', '.join(starts) or 'none'}); does start need a command of its own?")
