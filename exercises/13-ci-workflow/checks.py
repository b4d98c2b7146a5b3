"""Checks for exercise 13: a GitHub Actions workflow that builds and pushes the image."""

import fnmatch

from minipixi.teaching.checks.files import find_files, read_yaml
from minipixi.teaching.grade import CheckFailed, check
from minipixi.teaching.reading.commands import reached
from minipixi.teaching.reading.shell import read_commands
from minipixi.teaching.reading.workflow import (
    ExpressionError, action_boolean, evaluate_setting, step_runs, uses_action, workflow_steps,
    workflow_triggers,
)

TITLE = "Build and publish the image in CI"
PULL_REQUESTS = ("pull_request", "pull_request_target")


def workflow(sub) -> dict:
    """The one workflow file in .github/workflows/, as a mapping with `on` and `jobs`."""
    files = [f for f in find_files(sub, ".github/workflows/*") if f.endswith((".yml", ".yaml"))]
    if len(files) != 1:
        raise CheckFailed(f"expected one workflow in .github/workflows/, found {len(files) or 'none'}")
    data = read_yaml(sub, files[0])
    if not isinstance(data, dict) or not workflow_triggers(data) or not isinstance(data.get("jobs"), dict):
        raise CheckFailed(f"{files[0]} is not a workflow: it needs `on:` (the triggers) and `jobs:`")
    return data


def build_steps(sub) -> list[tuple[dict, dict]]:
    steps = [(job, step) for job, step in workflow_steps(workflow(sub))
             if uses_action(step, "docker/build-push-action")]
    if not steps:
        raise CheckFailed("no step uses Docker's build-push action")
    return steps


def contexts(sub) -> dict[str, dict]:
    """Made-up runs of the workflow, as the contexts its expressions see: a push of a commit to
    the branch (or tag) the push trigger names, and a pull request into main."""
    push = workflow_triggers(workflow(sub)).get("push") or {}
    branches = [str(b) for b in (push.get("branches") or []) if not any(c in str(b) for c in "*?[!")] \
        if isinstance(push, dict) else []
    tags_only = isinstance(push, dict) and push.get("tags") and not push.get("branches")
    ref = "refs/tags/v1.0.0" if tags_only else f"refs/heads/{branches[0] if branches else 'main'}"
    common = {"repository": "example-lab/cuda-exercise", "actor": "learner", "repository_owner": "example-lab"}
    return {
        "push": {"github": {**common, "event_name": "push", "ref": ref, "ref_name": ref.rsplit("/", 1)[-1],
                            "ref_type": "tag" if tags_only else "branch", "head_ref": "", "base_ref": "",
                            "event": {"ref": ref}}},
        "pull_request": {"github": {**common, "event_name": "pull_request", "ref": "refs/pull/7/merge",
                                    "ref_name": "7/merge", "ref_type": "branch", "head_ref": "feature",
                                    "base_ref": "main", "event": {"number": 7, "pull_request": {"number": 7}}}},
    }


def pushes_in(job, step, context) -> bool:
    """Does the build-push step push the image in this run? (its job's and its own ``if:``,
    and its ``push`` input, evaluated as Actions would)"""
    try:
        if not (step_runs(job.get("if"), context) and step_runs(step.get("if"), context)):
            return False
        return action_boolean(evaluate_setting((step.get("with") or {}).get("push", False), context)) is True
    except ExpressionError as err:
        raise CheckFailed(f"an expression of the build-push step cannot be read: {err.message}") from err


@check(points=1)
def check_valid_workflow(sub):
    """One workflow file: valid YAML with triggers and jobs."""
    workflow(sub)


@check(points=1)
def check_runs_on_push(sub):
    """The workflow runs when commits are pushed."""
    if "push" not in workflow_triggers(workflow(sub)):
        raise CheckFailed("the workflow does not run when commits are pushed: look at `on:`")


@check(points=2)
def check_uses_build_push_action(sub):
    """A step builds the image with docker/build-push-action."""
    build_steps(sub)


@check(points=2)
def check_pushes_only_outside_pull_requests(sub):
    """When commits are pushed the image is pushed, and in a pull request it never is (the
    `if:` and `push:` expressions evaluated for both kinds of run)."""
    triggers = workflow_triggers(workflow(sub))
    runs = contexts(sub)
    steps = build_steps(sub)
    if not any(pushes_in(job, step, runs["push"]) for job, step in steps):
        raise CheckFailed("the build-push step never pushes the image when commits are pushed: "
                          "evaluate its `if:` and `push:` for a push to your branch")
    if any(event in triggers for event in PULL_REQUESTS):
        if any(pushes_in(job, step, runs["pull_request"]) for job, step in steps):
            raise CheckFailed("the workflow also runs for pull requests, and then it would push too: "
                              "what can tell the two events apart?")


@check(points=1)
def check_logs_in_to_ghcr(sub):
    """In a push run, a step of the pushing job logs in to ghcr.io before the image is pushed."""
    context = contexts(sub)["push"]
    steps = build_steps(sub)
    pushing = [(job, step) for job, step in steps if pushes_in(job, step, context)] or steps
    for job, step in pushing:
        for earlier in job["steps"][:job["steps"].index(step)]:
            if isinstance(earlier, dict) and _logs_in(earlier) and step_runs(earlier.get("if"), context):
                return
    raise CheckFailed("no step logs in to the GitHub container registry before the push, so the push would "
                      "be refused")


def _logs_in(step: dict) -> bool:
    """A docker/login-action step for ghcr.io, or a `run:` that starts `docker login ghcr.io`."""
    registry = str((step.get("with") or {}).get("registry", "")).strip()
    if uses_action(step, "docker/login-action"):
        return registry == "ghcr.io"
    if "run" in step:
        for call in reached(read_commands(str(step["run"]), "a run: step")):
            if call.program == "docker" and call.words[1:2] == ("login",) and "ghcr.io" in call.words[2:]:
                return True
    return False


@check(points=1, hidden=True)
def check_rebuilds_when_the_lock_changes(sub):
    """A push that changes only pixi.lock runs the workflow (paths / paths-ignore filters)."""
    settings = workflow_triggers(workflow(sub)).get("push") or {}
    paths = settings.get("paths") if isinstance(settings, dict) else None
    ignored = settings.get("paths-ignore") if isinstance(settings, dict) else None
    if paths is not None and not _matches_any("pixi.lock", paths):
        raise CheckFailed("the push trigger's paths filter leaves out the lock file")
    if ignored is not None and _matches_any("pixi.lock", ignored):
        raise CheckFailed("the push trigger's paths-ignore filter leaves out the lock file")


def _matches_any(path: str, patterns) -> bool:
    """GitHub's path globs, for a file at the repository root (`**/` may match nothing)."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns or [])
    matched = False
    for pattern in map(str, patterns):
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.removeprefix("**/")):
            matched = not negated
    return matched
