"""The "Under the hood" pages show the source by named regions, and every region is shown.

A module marks the lines that tell part of an episode's story with a pair of comments,
``# --8<-- [start:NAME]`` ... ``# --8<-- [end:NAME]``, and a page under ``lessons/code/``
includes them by name (``--8<-- "minipixi/channel/fetch.py:fetch"``, pymdownx.snippets' section
syntax). These tests keep the two sides in step, reading text only:

- in every module, each region starts once, ends once, after its start, and is not left open;
- every region a page names exists in the file it names (a moved function takes its markers
  along, so a page that still names the old file fails here, not silently on the site);
- every region in the source is shown by some page (a marker no page uses is a story no one
  tells: show it or remove it);
- a code page shows regions, never a whole module, and links to the whole file of each module
  it shows (the site carries the sources: ``scripts/mkdocs_source_files.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "minipixi"
PAGES = ROOT / "lessons"
CODE_PAGES = PAGES / "code"

MARKER = re.compile(r"--8<-- \[(start|end):([\w-]+)\]")
INCLUDE = re.compile(r'^\s*--8<-- "(minipixi/[^":]+)(?::([\w-]+))?"\s*$', re.MULTILINE)
LINK = re.compile(r"\]\((?:\.\./)+(minipixi/[\w/.-]+\.py)\)")


def markers(text: str) -> list[tuple[int, str, str]]:
    """(line number, "start" or "end", name) for every marker in `text`."""
    return [(number, kind, name) for number, line in enumerate(text.splitlines(), 1)
            for kind, name in MARKER.findall(line)]


def pairing_problems(text: str) -> list[str]:
    """What is wrong with the markers of one file: duplicates, ends before starts, open regions."""
    problems, opened, seen = [], {}, Counter()
    for number, kind, name in markers(text):
        seen[kind, name] += 1
        if seen[kind, name] > 1:
            problems.append(f"line {number}: a second [{kind}:{name}]")
        elif kind == "start":
            opened[name] = number
        elif name not in opened:
            problems.append(f"line {number}: [end:{name}] with no [start:{name}] before it")
        else:
            del opened[name]
    problems += [f"line {number}: [start:{name}] is never ended" for name, number in opened.items()]
    return problems


def source_regions() -> dict[str, set[str]]:
    """``minipixi/x.py`` -> the region names it marks."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names = {name for _n, kind, name in markers(path.read_text(encoding="utf-8")) if kind == "start"}
        if names:
            found[path.relative_to(ROOT).as_posix()] = names
    return found


def page_includes() -> list[tuple[str, str, str]]:
    """(page, file, region or "") for every include of a minipixi file on any lesson page."""
    return [(page.relative_to(ROOT).as_posix(), file, region)
            for page in sorted(PAGES.rglob("*.md"))
            for file, region in INCLUDE.findall(page.read_text(encoding="utf-8"))]


def test_region_markers_pair_up():
    wrong = {path.relative_to(ROOT).as_posix(): problems for path in sorted(PACKAGE.rglob("*.py"))
             if (problems := pairing_problems(path.read_text(encoding="utf-8")))}
    assert not wrong, wrong


def test_every_region_a_page_names_exists():
    regions = source_regions()
    wrong = [f"{page} includes {file}:{region}" for page, file, region in page_includes()
             if region and region not in regions.get(file, set())]
    assert not wrong, "regions that do not exist (moved or renamed?):\n" + "\n".join(wrong)


def test_every_region_is_shown_by_a_page():
    shown = {(file, region) for _page, file, region in page_includes()}
    unused = [f"{file}:{name}" for file, names in source_regions().items() for name in sorted(names)
              if (file, name) not in shown]
    assert not unused, "regions no lesson page shows:\n" + "\n".join(unused)


def test_code_pages_show_regions_and_link_to_whole_files():
    wrong = []
    for page in sorted(CODE_PAGES.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        shown = {file for file, region in INCLUDE.findall(text) if region}  # data files come whole
        wrong += [f"{page.name} includes all of {file}" for file, region in INCLUDE.findall(text)
                  if not region and file.endswith(".py")]
        linked = set(LINK.findall(text))
        wrong += [f"{page.name} shows {file} without a link to the whole file"
                  for file in sorted(shown - linked)]
        wrong += [f"{page.name} links to {file}, which does not exist"
                  for file in sorted(linked) if not (ROOT / file).is_file()]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("text, problems", [
    ("# --8<-- [start:a]\nx\n# --8<-- [end:a]\n", []),
    ("# --8<-- [start:a]\n# --8<-- [start:b]\n# --8<-- [end:a]\n# --8<-- [end:b]\n", []),
    ("# --8<-- [end:a]\n# --8<-- [start:a]\n", ["line 1: [end:a] with no [start:a] before it",
                                                  "line 2: [start:a] is never ended"]),
    ("# --8<-- [start:a]\n", ["line 1: [start:a] is never ended"]),
    ("# --8<-- [start:a]\n# --8<-- [end:a]\n# --8<-- [start:a]\n# --8<-- [end:a]\n",
     ["line 3: a second [start:a]", "line 4: a second [end:a]"]),
])
def test_the_pairing_check(text, problems):
    assert pairing_problems(text) == problems


def test_the_include_pattern():
    page = ('```python\n--8<-- "minipixi/channel/fetch.py:fetch"\n```\n'
            '```python\n--8<-- "minipixi/cli.py"\n```\n'
            'see [the whole file](../minipixi/channel/fetch.py)\n')
    assert INCLUDE.findall(page) == [("minipixi/channel/fetch.py", "fetch"), ("minipixi/cli.py", "")]
    assert LINK.findall(page) == ["minipixi/channel/fetch.py"]
