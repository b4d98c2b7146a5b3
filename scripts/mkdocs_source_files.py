"""An mkdocs hook: the site carries minipixi's source files, so a page can link to a whole module.

The "Under the hood" pages (``lessons/code/``) show the named regions of a module that tell an
episode's story; each also links to the whole file (``../minipixi/channel/fetch.py``). This hook
adds every ``minipixi/**/*.py`` to the site's files as a plain static file, copied as it is, so
those links resolve (and ``mkdocs build --strict`` checks them like any other link).
Registered under ``hooks:`` in ``mkdocs.yml``.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files


def source_files(root: Path) -> list[str]:
    """The module files to publish, relative to the repository root (no caches, no mirror data)."""
    package = root / "minipixi"
    return sorted(str(path.relative_to(root)).replace("\\", "/") for path in package.rglob("*.py")
                  if "__pycache__" not in path.parts)


def on_files(files: Files, config) -> Files:
    root = Path(config["config_file_path"]).resolve().parent
    for name in source_files(root):
        files.append(File(name, str(root), config["site_dir"], config["use_directory_urls"]))
    return files
