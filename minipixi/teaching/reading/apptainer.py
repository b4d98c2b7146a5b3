"""Apptainer definition files read as data: stages, headers and sections.

A definition file is a header (``Bootstrap: docker``, ``From: ...``) followed by ``%sections``
of shell text (``%post``, ``%environment``, ``%runscript``, ``%test``); a second ``Bootstrap:``
line starts another stage, and ``%files from build`` copies out of an earlier one. This module
splits a file into that shape without building anything; the apptainer exercise then reads each
section's shell text with `teaching/reading/shell.py` and asks the questions of
`teaching/reading/pixi_calls.py` (is the locked environment installed in ``%post``? does
``%runscript`` activate it?).

Lesson: the container episode (Apptainer on clusters). Read after `teaching/reading/dockerfile.py`;
read next `teaching/reading/batch.py`.
"""

from __future__ import annotations

import re


def apptainer_stages(text: str) -> list[dict]:
    """Each stage of a definition file: {"header": {key: value}, "sections": {name: (args, body)}}.

    A stage starts at a ``Bootstrap:`` line; ``%files from build`` keeps ``from build`` as args.
    """
    stages: list[dict] = []
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        header = re.match(r"^([A-Za-z]+)\s*:\s*(.*)$", line)
        if header and header.group(1).lower() == "bootstrap":
            stages.append({"header": {}, "sections": {}})
            section = None
        if header and section is None and stages:
            stages[-1]["header"][header.group(1).lower()] = header.group(2).strip()
        elif stripped.startswith("%"):
            name, _, args = stripped[1:].partition(" ")
            if not stages:
                stages.append({"header": {}, "sections": {}})
            section = name.lower()
            stages[-1]["sections"][section] = (args.strip(), "")
        elif section is not None:
            args, body = stages[-1]["sections"][section]
            stages[-1]["sections"][section] = (args, body + line + "\n")
    return stages


def shell_lines(body: str) -> list[str]:
    """The non-empty, non-comment lines of a script body."""
    return [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
