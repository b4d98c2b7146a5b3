"""What every hostile-input test asserts about the CLI's answer: one clean, located error."""

from __future__ import annotations

from minipixi.cli import main
from minipixi.errors import MAX_LINE


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`minipixi ARGV...` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_error(code: int, err: str, *needles: str) -> None:
    """Exit 1, one `error:` line, a `help:` line, no traceback and no "this is a bug"; every
    needle in the text, and no line so long that it quotes a huge value whole."""
    assert code == 1, err
    assert err.count("error: ") == 1, err
    assert "\nhelp: " in "\n" + err, err
    assert "Traceback" not in err and "this is a bug" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert max(len(line) for line in err.splitlines()) <= MAX_LINE, "the error quotes a huge value whole"
