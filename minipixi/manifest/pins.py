"""Pins: the version range `add` writes for a package the learner named without one.

``minipixi add numpy`` solves first, then writes what was solved as a range that allows bug-fix
and feature releases but not the next breaking one, as Pixi's default "semver" pin does:
``numpy = ">=2.3.1,<3"``. Which part of a version breaks things is a convention, not a law: for
0.x versions it is the minor number, and Python breaks on its minor version too.

A version need not contain digits at all (conda allows ``custom`` or ``latest``): then there is
no next breaking release to exclude and the pin is just ``>=VERSION``.

Lesson: Episode 2 (``pixi add`` writes a pinned range). Read after `manifest/specs.py`; read next
`manifest/edit_dependencies.py`. The caller is `app/` (``add`` solves, then pins).
"""

from __future__ import annotations

import re


# --8<-- [start:pin]
def pin_for_version(version: str, *, name: str | None = None) -> str:
    """Pixi's default ("semver") pin for a freshly added package at `version`.

    ``2.3.1 -> >=2.3.1,<3``; for 0.x the minor is the breaking part: ``0.22.0 -> >=0.22.0,<0.23``.
    Python is pinned to its minor version, as Pixi does: ``3.13.3 -> >=3.13.3,<3.14``.
    """
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0].split("!")[-1])[:3]]
    if not numbers:
        return f">={version}"
    major = numbers[0]
    minor = numbers[1] if len(numbers) > 1 else 0
    if name == "python" or major == 0:
        return f">={version},<{major}.{minor + 1}"
    return f">={version},<{major + 1}"
# --8<-- [end:pin]



def upper_bound(version: str, *, name: str | None = None) -> str | None:
    """The ``<NEXT`` half of `pin_for_version` (``<3`` for 2.3.1), or None for a version with
    no number in it (there is no next breaking release to name)."""
    _, sep, upper = pin_for_version(version, name=name).partition(",")
    return upper if sep else None


def solved_pin(lowest: str, highest: str, name: str) -> str:
    """The pin for a package solved to `lowest`..`highest` across platforms: ``>=lowest`` and
    the upper bound of `highest`'s pin (``>=2.2.6,<3``); just ``>=lowest`` when `highest` has no
    number to bound."""
    upper = upper_bound(highest, name=name)
    return f">={lowest},{upper}" if upper else f">={lowest}"
