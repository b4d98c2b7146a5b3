"""Checks for exercise 11: an HTCondor submit description and script for a GPU job."""

import re

from minipixi.teaching.checks.files import bash_syntax_ok, only_file
from minipixi.teaching.grade import CheckFailed, check
from minipixi.teaching.reading.batch import script_reads
from minipixi.teaching.reading.commands import invocations, reached
from minipixi.teaching.reading.pixi_calls import activation_order
from minipixi.teaching.reading.shell import read_commands
from minipixi.teaching.reading.submit import parse_submit_description, queue_count, transferred

TITLE = "An HTCondor job on a GPU"


def submit(sub) -> dict[str, str]:
    """The one *.sub file, parsed by HTCondor's own parser."""
    relative = only_file(sub, "**/*.sub", "submit description (*.sub)")
    text = sub.read_text(relative)
    values = parse_submit_description(text)
    if queue_count(text) is None:
        raise CheckFailed(f"{relative} has no queue statement, so it submits no job")
    return values


def script(sub) -> str:
    """The executable named in the submit file, as a path inside the submission."""
    executable = submit(sub).get("executable", "").strip()
    if not executable:
        raise CheckFailed("the submit description names no executable")
    if not sub.exists(executable):
        raise CheckFailed(f"the executable '{executable}' is not in your submission")
    return executable


@check(points=1)
def check_submit_file_parses(sub):
    """The submit description parses with HTCondor's parser and queues a job."""
    submit(sub)


@check(points=1)
def check_requests_a_gpu(sub):
    """The job requests at least one GPU."""
    value = submit(sub).get("request_gpus", "0").strip()
    if not value.isdigit() or int(value) < 1:
        raise CheckFailed("the job does not ask HTCondor for a GPU: which request_* command is missing?")


#: Where the image of exercise 09 keeps the gpu environment's activation (its ENTRYPOINT). HTCondor
#: starts the executable inside the container directly, without the image's ENTRYPOINT. An
#: image of the learner's own may keep it elsewhere: any script in the image whose name says
#: entrypoint, activate or shell-hook counts too.
IMAGE_ACTIVATION = "/app/entrypoint.sh"
ACTIVATION_NAME = re.compile(r"entrypoint|activate|shell[-_]?hook", re.IGNORECASE)


def image_activation_scripts(tree) -> list[str]:
    """The image's activation script, and scripts inside the image (absolute paths) the job
    script names that look like one."""
    named = {word for call in invocations(tree) for word in call.words
             if word.startswith("/") and ACTIVATION_NAME.search(word.rsplit("/", 1)[-1])}
    return [IMAGE_ACTIVATION, *sorted(named)]


@check(points=1)
def check_container_universe(sub):
    """The job runs in the container universe, with an image, and the script activates the image's
    gpu environment before its python runs (HTCondor does not run the image's ENTRYPOINT)."""
    values = submit(sub)
    if values.get("universe", "vanilla").strip().lower() != "container":
        raise CheckFailed("the job does not run in the universe meant for container images")
    if not values.get("container_image", "").strip():
        raise CheckFailed("the submit description names no container_image")
    tree = read_commands(sub.read_text(script(sub)), "the script")
    start = activation_order(tree, "gpu", image_activation_scripts(tree))
    pythons = [c.order for c in reached(tree) if c.program in ("python", "python3")]
    if start is None or (pythons and min(pythons) < start):
        raise CheckFailed("inside the container the script runs python without activating the image's gpu "
                          "environment: HTCondor starts your executable, not the image's entrypoint")


@check(points=1)
def check_executable_script(sub):
    """The executable is a script of the submission, valid for `bash -n`."""
    bash_syntax_ok(sub, script(sub))


@check(points=2)
def check_transfers_what_the_script_reads(sub):
    """Every file the script reads is listed in transfer_input_files."""
    entries = [e.strip() for e in submit(sub).get("transfer_input_files", "").split(",") if e.strip()]
    tree = read_commands(sub.read_text(script(sub)), "the script")
    missing = [path for path in script_reads(tree) if not transferred(path, entries)]
    if missing:
        raise CheckFailed(f"the script reads {', '.join(missing)}, which the job does not send to the worker")


@check(points=1, hidden=True)
def check_requires_a_cuda_driver(sub):
    """The requirements expression looks at the worker's CUDA driver version."""
    if "cudadriverversion" not in submit(sub).get("requirements", "").lower():
        raise CheckFailed("the requirements do not look at the worker's CUDA driver version")
