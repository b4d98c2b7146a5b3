"""minipixi: a readable re-implementation of Pixi, the package manager, in Python.

Read the packages in pipeline order, the same order as the lesson (and the table on the lesson
site's "Under the hood" index page); each module's docstring names the one before and after it:

    `version.py` -> `matchspec.py` -> `records.py`   the types: what a spec and a record are (no I/O)
    `errors.py` -> `files.py` -> `config.py` -> `http.py`   the plumbing under every command
    `manifest/`                              pixi.toml: what the user asks for
    `channel/` -> `solver/`                  which records satisfy the asks
    `lock/`                                  write the answer down, byte-stable
    `install/` -> `run/`                     turn the lock into a working prefix, and run in it
    `pypi/`                                  the PyPI half of an environment
    `deploy/`                                leave the laptop: conda files, containers, clusters
    `app/`                                   one module per command, pipeline from top to bottom
    `teaching/`                              the lesson's own tools: grading, the tour, the mirror
    `cli.py`                                 grammar, rendering, one error handler: the only printer

Importing this package is cheap on purpose: heavy modules (numba, httpx) load lazily.
"""

__version__ = "0.1.0"
#: The Pixi release whose manifest, lock file and commands minipixi follows (``--version`` says it;
#: a manifest's ``requires-pixi`` is checked against it). `manifest.model.PIXI_VERSION` is this.
PIXI_VERSION = "0.77.0"

import sys as _sys

# httpx's package imports its command-line client (`httpx._main`) whenever click and pygments are
# installed, as they are beside mkdocs: some 10 ms of every downloading command's start, for a
# tool minipixi never runs. A `None` entry in sys.modules makes that import fail, and httpx then
# goes on without its client (it is written for that: the client's packages are optional).
_sys.modules.setdefault("httpx._main", None)
