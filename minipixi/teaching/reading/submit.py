"""HTCondor submit descriptions read as data: keys, the queue statement, transferred files.

A submit description (``job.sub``) says what HTCondor runs and what it sends with the job:
``executable``, ``arguments``, ``request_gpus``, ``transfer_input_files``, then ``queue``. It is
read by HTCondor's own parser (the ``htcondor2`` Python bindings) when they are installed, and
otherwise by a careful reading of ``key = value`` lines; nothing is submitted. `transferred`
answers the question a job on a machine without a shared file system depends on: is each file
the job script reads (`teaching/reading/batch.py`: `script_reads`) sent along with it?

Lesson: the HTC episode. Read after `teaching/reading/batch.py`; read next
`teaching/reading/workflow.py`.
"""

from __future__ import annotations

import re

from minipixi.teaching.grade import CheckFailed

try:  # HTCondor's own parser, when the optional `htcondor` package is installed
    import htcondor2
except ImportError:
    htcondor2 = None


def parse_submit_description(text: str) -> dict[str, str]:
    """An HTCondor submit description as {lowercase key: value}: with HTCondor's own parser
    (PyPI `htcondor`) when it is installed, else a careful reading of `key = value` lines."""
    if htcondor2 is not None:
        try:
            return {k.lower(): str(v) for k, v in dict(htcondor2.Submit(text).items()).items()}
        except Exception as err:  # noqa: BLE001 - the bindings raise several kinds
            raise CheckFailed(f"HTCondor cannot parse the submit file: {err}") from err
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line and not line.lower().startswith("queue"):
            key, _, value = line.partition("=")
            values[key.strip().lower()] = value.strip()
    return values


def queue_count(text: str) -> int | None:
    """How many jobs the ``queue`` statement submits (``queue`` alone: one), or None without one."""
    match = re.search(r"^\s*queue(?:\s+(\d+))?\b", text, re.IGNORECASE | re.MULTILINE)
    if not match:
        return None
    return int(match.group(1) or 1)


def transferred(path: str, entries: list[str]) -> bool:
    """Is `path` sent by one of the transfer_input_files entries (a folder sends what is in it)?"""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for entry in entries:
        entry_parts = [p for p in entry.strip().removeprefix("./").split("/") if p not in ("", ".")]
        if entry_parts and parts[:len(entry_parts)] == entry_parts:
            return True
        # HTCondor sends a path's last component into the job's folder
        if entry_parts and len(parts) == 1 and entry_parts[-1] == parts[0]:
            return True
    return False
