"""Command pipelines: one module per command family, read top to bottom, each calling the
library modules that know how. The CLI (`cli.py`, `commands/`) parses, calls one of these and
renders; nothing here prints.

Reading order: `app/project.py` (the workspace opened once) -> `app/relock.py` (``lock``) ->
`app/policy.py` (``--locked`` / ``--frozen``) -> `app/sync.py` (``install``) -> `app/add.py`
(``add``, ``remove``) -> `app/update.py` (``update``, ``upgrade``) -> `app/run.py` (``run``,
``shell``, ``shell-hook``) -> `app/inspect.py` (``list``, ``tree``, ``diff``, ``info``,
``clean``) -> `app/why.py` -> `app/graph.py` -> `app/global_tools.py` (``global``).
`app/workspace_lock.py` keeps two commands from changing one workspace at the same time.
"""
