"""The small matchers inside a MatchSpec: build strings (and name globs), and build numbers.

A spec's build part is a pattern: exact text (``py313h1_0``), a ``*`` glob (``py3*_0``,
``*cuda*``) or a ``^regex$``; its ``build_number`` part a comparison (``>=3``). This module
compiles and runs those, with one eye on cost: a pattern comes from a stranger's repodata, so
a glob is compiled into a regex that cannot backtrack for long, and a regex that could take
exponential time (``^(a+)+$``) is refused instead of hanging the solver.
Lesson: Episode 2, "Adding dependencies". Read after `records.py`; read next `matchspec.py`.
Ground truth: rattler's `StringMatcher` and `BuildNumberSpec` (`match_spec/matcher.rs`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from minipixi.errors import MatchSpecError, shorten
from minipixi.version import MAX_NUMBER

__all__ = ["MAX_REGEX_LENGTH", "BuildNumberSpec", "compile_string_matcher", "string_matches"]


# --8<-- [start:glob]
@functools.lru_cache(maxsize=1 << 12)
def compile_string_matcher(pattern: str) -> re.Pattern:
    """Compile a build-string (or name) pattern: exact text, a `*` glob, or a `^regex$`.

    Only `*` is special in a glob (`py3*_0`); `?` and `[...]` are literal, as in conda.
    Matching ignores case, as rattler does. Raises MatchSpecError for a broken `^regex$`.

    >>> compile_string_matcher("py3*_0").pattern
    'py3.*_0'
    >>> compile_string_matcher("^(a+)+$")
    Traceback (most recent call last):
    ...
    minipixi.errors.MatchSpecError: invalid regex: ^(a+)+$: a repeated group that repeats inside
    """
    if pattern.startswith("^") and pattern.endswith("$"):
        _check_regex_cost(pattern)
        try:
            return re.compile(pattern, re.IGNORECASE)
        except (re.error, RecursionError, OverflowError) as err:  # deep nesting, a{99999999999}
            raise MatchSpecError(f"invalid regex: {shorten(pattern)}",
                                 hint=f"{err}" if isinstance(err, re.error) else None) from None
    return re.compile(_glob_regex(pattern), re.IGNORECASE | re.DOTALL)


def _glob_regex(pattern: str) -> str:
    """A `*` glob as a regex that cannot backtrack for long.

    The plain translation (``a*b*c`` -> ``a.*b.*c``) tries every way of placing each piece, so
    ``*a*a*a*a*a*a*a*a*!`` takes seconds on a 40-character build string. But for a glob, the
    first place where a middle piece fits is always as good as any later one, so each middle
    piece is found lazily inside an atomic group, ``(?>.*?b)``, that is never re-entered; only
    the last piece, which must end the text, is found by backing up from the end.
    """
    pieces = [re.escape(piece) for piece in pattern.split("*")]
    if len(pieces) == 1:
        return pieces[0]
    middle = "".join(f"(?>.*?{piece})" for piece in pieces[1:-1])
    return f"{pieces[0]}{middle}.*{pieces[-1]}"
# --8<-- [end:glob]


MAX_REGEX_LENGTH = 1000


def _check_regex_cost(pattern: str) -> None:
    """Refuse a regex that could take exponential time on a build string (a time bound).

    Python's `re` backtracks, so ``^(a+)+$`` against ``aaaa...b`` tries every split of the
    a's; rattler's Rust regex engine never backtracks. A spec from a stranger's repodata
    must not hang the solver, so a repeated group that itself repeats or alternates
    (``(x+)+``, ``(x*)*``, ``(a|aa)+``) is an error, as are backreferences and lookarounds
    (which rattler lacks).
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        raise MatchSpecError(f"the regex {shorten(pattern)} is longer than {MAX_REGEX_LENGTH} characters")
    if re.search(r"\\[1-9]|\(\?(?:[=!]|<[=!]|P=)", pattern):
        raise MatchSpecError(f"invalid regex: {shorten(pattern)}",
                             hint="backreferences and lookarounds are not supported (nor by rattler)")
    repeats = []  # one flag per open group: does something inside it repeat (or alternate)?
    position, escaped = 0, False
    while position < len(pattern):
        char = pattern[position]
        following = pattern[position + 1 : position + 2]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":  # a character class: skip to its end (']' first is literal)
            end = pattern.find("]", position + 2 if following == "]" else position + 1)
            position = end if end > 0 else len(pattern)
        elif char == "(":
            repeats.append(False)
        elif char == ")" and repeats:
            inner = repeats.pop()
            if inner and following in ("*", "+", "{"):
                raise MatchSpecError(
                    f"invalid regex: {shorten(pattern)}: a repeated group that repeats inside",
                    hint="nested repetition like (x+)+ or (a|aa)+ can take exponential time")
            if repeats and (inner or following in ("*", "+", "{")):
                repeats[-1] = True
        elif char in "*+{|" and repeats:  # an alternation in a repeated group backtracks too
            repeats[-1] = True
        position += 1


def string_matches(pattern: str, text: str) -> bool:
    """Does `text` match the build-string pattern `pattern` (see `compile_string_matcher`)?

    >>> string_matches("py3*_0", "py313h1_0"), string_matches("py3*_0", "py313h1_1")
    (True, False)
    >>> string_matches(r"^py3\\d+$", "py313"), string_matches("CUDA*", "cuda126_1")
    (True, True)
    """
    return compile_string_matcher(pattern).fullmatch(text) is not None


_BUILD_NUMBER = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*(\d+)\s*$")


@dataclass(frozen=True)
class BuildNumberSpec:
    """A build number constraint: `3` (meaning `==3`), `>=3`, `<3`, `!=0` ...

    >>> spec = BuildNumberSpec.parse(">=3")
    >>> spec, spec.matches(2), spec.matches(3)
    (BuildNumberSpec(operator='>=', number=3), False, True)
    >>> str(BuildNumberSpec.parse("7")), str(BuildNumberSpec.parse("=7"))
    ('==7', '==7')
    """

    operator: str
    number: int

    @classmethod
    def parse(cls, text: str) -> BuildNumberSpec:
        found = _BUILD_NUMBER.match(text)
        if not found:
            raise MatchSpecError(
                f"invalid build number spec: '{shorten(text)}'",
                hint="write a number, optionally after one of >=, >, <=, <, ==, !=",
            )
        operator = found.group(1) or "=="
        digits = found.group(2)
        if len(digits.lstrip("0")) > len(str(MAX_NUMBER)) or int(digits) > MAX_NUMBER:
            raise MatchSpecError(f"the build number {shorten(digits)} is too large (at most {MAX_NUMBER})")
        return cls("==" if operator == "=" else operator, int(digits))

    def matches(self, number: int) -> bool:
        return _COMPARE[self.operator](number, self.number)

    def __str__(self) -> str:
        return f"{self.operator}{self.number}"


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
