"""How conda orders versions: component kinds, zeros that go on forever, and prefixes.

`version.py` reads a version literal into segments of *components* (numbers and lower-case
strings); this module says how two such versions compare, without parsing anything. Three
rules make up conda's order (CEP 33, as rattler's `version/mod.rs` implements it):

- Components compare by kind first (`component_sort_key`)::

      dev  <  '_' (a trailing underscore or dash)  <  other strings  <  numbers  <  post

- A missing component or segment counts as the number 0, so ``1.1 == 1.1.0`` and
  ``1.1.dev1 < 1.1``. `part_key` turns a list of segments into one flat tuple that Python's
  own tuple comparison orders exactly that way (the "padding key" below).
- The prefix test behind ``1.2.*`` and ``~=1.2.3`` (`starts_with`) compares segment by segment,
  with the same implied zeros.

Lesson: Episode 2, "Versions and specs" (under the hood). Read after `version.py` (the
`Version` value uses these keys); read next `version_spec.py`.

>>> from minipixi.version import parse_version
>>> sorted(["1.1", "1.1.dev1", "1.1rc1", "1.1.post1", "1.1a"], key=lambda t: parse_version(t).sort_key)
['1.1a', '1.1rc1', '1.1.dev1', '1.1', '1.1.post1']

(``1.1a`` is ``1.(1 a)``: its second segment already falls below ``1.1``'s, while ``1.1.dev1``
only differs in a third segment, where ``dev`` falls below the implied 0.)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from minipixi.version import Version

__all__ = ["Component", "component_sort_key", "part_key", "same_spelling_equal", "starts_with",
           "underscore_style"]

Component = Union[int, str]
"""A number, a lower-case string, or one of the special strings 'dev', 'post', '_' and '-'."""


# --8<-- [start:component-order]
# Kind ranks: dev < '_' < other strings < numbers < post. 'dev' and 'post' are special only when
# they are a whole run of letters ('devel' is an ordinary string); '_' and '-' stand for a
# trailing underscore or dash (the openssl convention: 1.0.1_ sorts before 1.0.1a). The two
# sort as equals, but a prefix test (1.0.1-.* against 1.0.1_) tells them apart, as rattler does.
_DEV, _UNDERSCORE, _STRING, _NUMBER, _POST = range(5)


def component_sort_key(component: Component) -> tuple:
    """Sort key of one component: (kind rank, value). Equal keys mean equal components.

    >>> component_sort_key(3), component_sort_key("rc"), component_sort_key("dev")
    ((3, 3), (2, 'rc'), (0,))
    >>> sorted([7, "post", "a", "_", "dev"], key=component_sort_key)
    ['dev', '_', 'a', 7, 'post']
    """
    if isinstance(component, int):
        return (_NUMBER, component)
    if component == "dev":
        return (_DEV,)
    if component == "post":
        return (_POST,)
    if component == "_" or component == "-":
        return (_UNDERSCORE,)
    return (_STRING, component)
# --8<-- [end:component-order]


# --8<-- [start:padding-key]
# A version compares as if every segment, and the list of segments, went on forever with zeros:
# 1.1 is 1.1.0.0..., and 1.0a reads 1.0a0... So a plain tuple of components would be wrong (a
# shorter tuple sorts first, but '1.0a' < '1.0' because 'a' < 0). Instead each item that is not
# zero is written as (sign, zeros before it, its key): an item below zero is smaller the sooner
# it comes, an item above zero is larger the sooner it comes, and a final 0 says "only zeros
# from here on", which sits between the two. Written one after another, these compare exactly
# like the zero-padded lists. For the components of one segment (a number's key is (3, n),
# a string's (2, s)):
#
#     [1, 0, 'a']  ->  (1, 0, 3, 1,   -1, 1, 2, 'a',   0)
#     [1]          ->  (1, 0, 3, 1,   0)         at the fifth place -1 < 0, so [1, 0, 'a'] < [1]
#
# Segments are then keyed the same way, with a segment's key as its item, and the version key
# is the epoch followed by the keys of both parts. All of it is one flat tuple (quick to compare
# and hash): every item starts with its sign and has a fixed shape after it, so two keys line up
# item by item until they first differ.
def _padded_key(item_keys: list[tuple[int, tuple]]) -> tuple:
    """Key of a zero-padded sequence; `item_keys` are (sign, key) pairs, sign in -1/0/1."""
    out: list = []
    zeros = 0
    for sign, key in item_keys:
        if sign == 0:
            zeros += 1
            continue
        out += (sign, zeros if sign < 0 else -zeros)
        out += key
        zeros = 0
    out.append(0)
    return tuple(out)
# --8<-- [end:padding-key]


def _component_item(component: Component) -> tuple[int, tuple]:
    key = component_sort_key(component)
    if key[0] == _NUMBER:
        return (1 if component else 0), key
    return (1 if key[0] == _POST else -1), key


@functools.lru_cache(maxsize=1 << 14)
def _segment_item(components: tuple[Component, ...]) -> tuple[int, tuple]:
    """(sign, key) of one segment; cached, since segments like (0,) and (1,) recur endlessly."""
    key = _padded_key([_component_item(c) for c in components])
    return key[0], key


_NO_SEGMENTS_KEY = _padded_key([])


def part_key(segments: tuple[tuple[Component, ...], ...]) -> tuple:
    """The key of a list of segments (a version's release part, or its local part).

    Zeros at the end change nothing, and a letter sorts below the zero it stands beside:

    >>> part_key(((1,), (1,))) == part_key(((1,), (1,), (0,)))
    True
    >>> part_key(((1,), (0, "a"))) < part_key(((1,), (0,)))
    True
    """
    if not segments:  # most versions have no local part
        return _NO_SEGMENTS_KEY
    return _padded_key([_segment_item(s) for s in segments])



def starts_with(
    version: tuple[tuple[Component, ...], ...], prefix: tuple[tuple[Component, ...], ...]
) -> bool:
    """Does `version` begin with `prefix`, segment by segment? (rattler's rule, zeros implied).

    ``1.2.3`` starts with ``1.2``; ``1.2`` starts with ``1.2.0``; ``1.2a`` starts with ``1.2``
    (the last prefix segment may be continued), but ``1.2a.3`` does not start with ``1.2.3``.
    Segments are tuples of components, as `Version.components` holds them:

    >>> starts_with(((1,), (2,), (3,)), ((1,), (2,)))
    True
    >>> starts_with(((1,), (2,)), ((1,), (2,), (0,)))
    True
    >>> starts_with(((1,), (2, "a"), (3,)), ((1,), (2,), (3,)))
    False
    """
    extra_before = False
    for index, wanted in enumerate(prefix):
        if index >= len(version):
            if any(c != 0 for c in wanted):
                return False
            continue
        if extra_before:
            return False
        have = version[index]
        if have[: len(wanted)] != wanted[: len(have)]:
            return False
        if len(have) > len(wanted):
            extra_before = True
        elif any(c != 0 for c in wanted[len(have) :]):
            return False
    return True


def underscore_style(version: Version) -> str:
    """'_' or '-' when the version has openssl-style trailing components (1.0.1_), else ''.

    A version never mixes the two (the parser refuses it), and such a component always ends
    its segment, so looking at segment ends is enough.
    """
    for segment in version.components + version.local:
        if segment[-1] == "_" or segment[-1] == "-":
            return segment[-1]
    return ""


def same_spelling_equal(a: Version, b: Version) -> bool:
    """``==`` as a spec means it: equal, and a trailing '-' is not a trailing '_' (rattler).

    Ordering treats ``1.0.1-`` and ``1.0.1_`` as equal, but ``==1.0.1-`` does not match
    ``1.0.1_``, just as the prefix test ``1.0.1-.*`` does not.

    >>> from minipixi.version import parse_version
    >>> dash, underscore = parse_version("1.0.1-"), parse_version("1.0.1_")
    >>> dash == underscore, same_spelling_equal(dash, underscore)
    (True, False)
    """
    return a == b and underscore_style(a) == underscore_style(b)
