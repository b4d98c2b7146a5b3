"""Hypothesis strategies for conda versions and version specs (shared by all test folders).

- `version_texts()`: well-formed conda versions (epochs, letters, dev/post, '_'/'-' separators,
  the openssl trailing underscore, local parts), drawn from a small alphabet so that equal and
  neighbouring versions come up often.
- `version_like_texts()`: mostly-valid noise for "do both parsers accept the same strings?".
- `versions()`: parsed `Version` objects.
- `spec_texts()`: version specs: every operator, globs, `,` / `|`, parentheses, spaces.
- `spec_like_texts()`: spec-shaped noise (doubled operators, stray stars, unbalanced brackets).
"""

from __future__ import annotations

from hypothesis import strategies as st

from minipixi.version import Version

# Small numbers and a few letters make ties and near-misses likely; a few large numbers test
# that nothing assumes components are small.
_NUMBERS = st.one_of(
    st.integers(0, 3),
    st.sampled_from([0, 1, 2, 9, 10, 11, 100, 2024, 999999999]),
    st.integers(0, 2**64 - 1),
).map(str)
_LETTERS = st.sampled_from(
    ["a", "b", "rc", "dev", "post", "alpha", "beta", "c", "r", "z", "za", "DEV", "Rc", "devdev",
     "g"]
)


@st.composite
def _segment(draw) -> str:
    """One segment: alternating digit and letter runs, e.g. '2', 'rc1', '0a2b'."""
    numeric_first = draw(st.booleans()) or draw(st.booleans())
    parts = []
    for index in range(draw(st.integers(1, 3))):
        use_number = (index % 2 == 0) == numeric_first
        parts.append(draw(_NUMBERS if use_number else _LETTERS))
    return "".join(parts)


@st.composite
def _part(draw, dash: str) -> str:
    """Segments joined by '.' or the chosen dash style, maybe with an openssl-style tail."""
    segments = draw(st.lists(_segment(), min_size=1, max_size=5))
    text = segments[0]
    for segment in segments[1:]:
        text += draw(st.sampled_from([".", ".", ".", dash])) + segment
    tail = draw(st.sampled_from(["", "", "", "", dash, "." + dash, dash + dash]))
    return text + tail


@st.composite
def version_texts(draw, local: bool = True, epoch: bool = True) -> str:
    """A valid conda version string."""
    dash = draw(st.sampled_from(["_", "-"]))
    text = draw(_part(dash))
    if epoch and draw(st.integers(0, 9)) == 0:
        text = f"{draw(st.integers(0, 3))}!{text}"
    if local and draw(st.integers(0, 5)) == 0:
        text += "+" + draw(_part(dash))
    return text


def versions(**kwargs) -> st.SearchStrategy[Version]:
    """Parsed versions (see `version_texts`)."""
    return version_texts(**kwargs).map(Version)


def version_like_texts() -> st.SearchStrategy[str]:
    """Strings built from version characters; many valid, many not."""
    alphabet = st.sampled_from(list("0123456789abcdevpostrc._-+!*AZ ") + ["post", "dev", ".0"])
    noise = st.lists(alphabet, min_size=0, max_size=12).map("".join)
    return st.one_of(version_texts(), noise)


_OPERATORS = ["", "", "==", "!=", ">", ">=", "<", "<=", "=", "~="]
_GLOBS = ["", "", "", ".*", "*"]


@st.composite
def _constraint_text(draw) -> str:
    if draw(st.integers(0, 15)) == 0:
        return draw(st.sampled_from(["*", "*.*", ">=*", "==*"]))
    op = draw(st.sampled_from(_OPERATORS))
    version = draw(version_texts(local=draw(st.integers(0, 4)) == 0, epoch=False))
    glob = draw(st.sampled_from(_GLOBS))  # lenient parsing gives a meaning to every op
    if glob and version[-1] in "-_.":
        glob = ""
    return f"{op}{version}{glob}"


def _join(separators: list[str]):
    @st.composite
    def join(draw, children) -> str:
        items = draw(st.lists(children, min_size=2, max_size=3))
        text = items[0]
        for item in items[1:]:
            text += draw(st.sampled_from(separators)) + item
        return text

    return join


def spec_texts() -> st.SearchStrategy[str]:
    """Valid version specs, nested up to a few levels."""
    return st.recursive(
        _constraint_text(),
        lambda children: st.one_of(
            _join([",", ",", " , ", ", "])(children),
            _join(["|", "|", " | "])(children),
            children.map(lambda text: f"({text})"),
        ),
        max_leaves=5,
    )


def spec_like_texts() -> st.SearchStrategy[str]:
    """Spec-shaped noise: valid specs with a few characters inserted or removed."""

    @st.composite
    def mangle(draw, text: str) -> str:
        if not text:
            return text
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            return text[:at] + draw(st.sampled_from(list("*=<>!~,|().+ ") + [".*"])) + text[at:]
        return text[:at] + text[at + 1 :]

    return st.one_of(spec_texts(), spec_texts().flatmap(mangle))
