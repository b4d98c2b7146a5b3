"""Shown outputs are real: the generator runs saved commands, and saved outputs still match.

`scripts/generate_lesson_outputs.py` runs `lessons/snippets/commands/*.sh` in a scratch HOME and
saves transcripts; these tests check its parsing and running on small made-up snippets, and then
re-run every group that has saved outputs and fail on any difference (page vs program).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "generate_lesson_outputs", ROOT / "scripts" / "generate_lesson_outputs.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def test_parse_commands_joins_continuations_and_heredocs() -> None:
    text = (
        "echo one\n\nminipixi add \\\n  numpy\ncat > f <<'EOF'\n# --8<-- [start:toml]\na\nb\n"
        "# --8<-- [end:toml]\nEOF\nls\n"
    )
    assert gen.parse_commands(text) == [
        "echo one",
        "minipixi add \\\n  numpy",
        "cat > f <<'EOF'\na\nb\nEOF",
        "ls",
    ]


def test_run_group_keeps_state_records_failures_and_hides_the_scratch_path() -> None:
    snippets = [
        gen.Snippet("t01-a-make", ("mkdir demo", "cd demo", "pwd")),
        gen.Snippet("t01-b-after", ("pwd", "cat missing-file", "printf 'x\\n' > f && cat f")),
    ]
    results = gen.run_group(snippets)
    assert results["t01-a-make"] == "$ mkdir demo\n$ cd demo\n$ pwd\n~/pixi-lesson/demo\n"
    after = results["t01-b-after"].splitlines()
    assert after[:2] == ["$ pwd", "~/pixi-lesson/demo"]  # cd carried over to the next snippet
    assert after[2] == "$ cat missing-file" and "missing-file" in after[3]  # a failure is recorded
    assert after[-2:] == ["$ printf 'x\\n' > f && cat f", "x"]


def test_run_group_uses_offline_mode_and_this_minipixi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "99")  # the host's settings must not leak in
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", "/nonexistent")
    snippet = gen.Snippet(
        "t02-env",
        ('echo "$MINIPIXI_OFFLINE"', "minipixi --version", 'echo "[${CONDA_OVERRIDE_CUDA-unset}]"',
         'echo "[${MINIPIXI_CACHE_DIR-unset}]"'),
    )
    lines = gen.run_group([snippet])["t02-env"].splitlines()
    assert lines[1] == "1"
    assert lines[3].startswith("minipixi ")
    assert lines[5] == "[unset]" and lines[7] == "[unset]"


def test_use_outputs_rewrites_only_blocks_with_an_output() -> None:
    page = (
        "Text\n\n```bash\n--8<-- \"snippets/commands/ep09-01-a.sh\"\n```\n\n"
        "    ```bash\n    --8<-- \"snippets/commands/ep09-02-b.sh\"\n    ```\n"
    )
    new = gen.use_outputs_in_page(page, {"ep09-02-b"})
    assert '```bash\n--8<-- "snippets/commands/ep09-01-a.sh"' in new
    assert '    ```console\n    --8<-- "snippets/outputs/ep09-02-b.txt"\n    ```' in new


def test_missing_commands_are_not_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen, "OUTPUTS", tmp_path)
    results = {
        "ep09-01-ok": "$ echo hi\nhi\n",
        "ep09-02-new": "$ minipixi frobnicate\nminipixi: error: argument COMMAND: invalid choice: 'frobnicate'\n",
        "ep09-03-later": "$ ls\n",
    }
    assert gen.save_until_missing_command("ep09", results) == ["ep09-01-ok"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep09-01-ok.txt"]


def _groups_with_saved_outputs() -> list[str]:
    saved = {p.stem for p in gen.OUTPUTS.glob("*.txt")}
    return sorted({name.split("-", 1)[0] for name in saved})


@pytest.mark.parametrize("group", _groups_with_saved_outputs() or ["(none)"])
def test_saved_outputs_match_the_program(group: str) -> None:
    """Re-run each group that has saved outputs; every saved transcript must come out the same."""
    if group == "(none)":
        pytest.skip("no lesson outputs have been generated yet")
    snippets = gen.group_snippets(gen.read_snippets())[group]
    figures: dict[str, str] = {}  # the group's figures are drawn from the same run, and checked
    problems = gen.check_outputs(gen.run_group(snippets, figures=figures)) + gen.check_figures(figures)
    assert not problems, "\n\n".join(problems) + "\n(regenerate with scripts/generate_lesson_outputs.py)"


def test_select_only_and_refresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen, "OUTPUTS", tmp_path)
    (tmp_path / "ep09-02-b.txt").write_text("old\n")
    results = {"ep09-01-a": "a\n", "ep09-02-b": "b\n", "ep09-03-c": "c\n"}
    assert gen.select(results, None, False) == results
    assert gen.select(results, ["ep09-01-a", "ep09-03-c"], False) == {"ep09-01-a": "a\n", "ep09-03-c": "c\n"}
    assert gen.select(results, None, True) == {"ep09-02-b": "b\n"}  # only what was saved before
