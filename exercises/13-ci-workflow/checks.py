"""Checks for exercise 13: a GitHub Actions workflow that builds and pushes the image."""

import fnmatch
import re

from minipixi.checks import find_files, read_yaml, uses_action, workflow_steps, workflow_triggers
from minipixi.grade import CheckFailed, check

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


def excludes_pull_requests(expression) -> bool:
    """Is this `if:`/`push:` expression false for pull requests?"""
    text = re.sub(r"\s+", "", str(expression)).replace('"', "'")
    return any(part in text for part in ("github.event_name!='pull_request'", "github.event_name=='push'",
                                          "github.ref=='refs/heads/", "startsWith(github.ref,'refs/tags/')",
                                          "!startsWith(github.event_name,'pull_request')"))


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
    """The image is pushed, and never for a pull request."""
    triggers = workflow_triggers(workflow(sub))
    for job, step in build_steps(sub):
        push = (step.get("with") or {}).get("push", False)
        if push in (False, None, "false"):
            raise CheckFailed("the build-push step never pushes the image")
        if not any(event in triggers for event in PULL_REQUESTS):
            continue
        if not (excludes_pull_requests(push) or excludes_pull_requests(step.get("if", ""))
                or excludes_pull_requests(job.get("if", ""))):
            raise CheckFailed("the workflow also runs for pull requests, and then it would push too: "
                              "what can tell the two events apart?")


@check(points=1)
def check_logs_in_to_ghcr(sub):
    """A step logs in to ghcr.io before pushing."""
    for _, step in workflow_steps(workflow(sub)):
        registry = str((step.get("with") or {}).get("registry", "")).strip()
        if uses_action(step, "docker/login-action") and registry == "ghcr.io":
            return
        if re.search(r"docker\s+login\b.*\bghcr\.io", str(step.get("run", ""))):
            return
    raise CheckFailed("no step logs in to the GitHub container registry, so the push would be refused")


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
