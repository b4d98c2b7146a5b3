"""PyPI packages next to conda packages: the pieces of ``[pypi-dependencies]``.

Pixi installs Python packages from a PyPI-style index into the same prefix as its conda
packages. This package holds that side of minipixi, one concept per module:

- `index` reads a *simple repository* (the index API every PyPI mirror serves): which files a
  project has, their hashes, which Python they need, whether they were yanked, and their
  metadata (what they depend on), with a cache that revalidates like the repodata cache.
- `target` says which wheels and which markers a conda platform's Python accepts.
- `provider` answers the PubGrub search's questions for PyPI: the versions of a project that
  have a wheel for the target, which of them a requirement admits, what each depends on.
- `resolve` runs the conda solver's search (`solver/search.py`) over that provider: one
  solver, two ecosystems; `explain` words its proof when nothing fits.
- `wheel` installs a downloaded ``.whl`` into a prefix's ``site-packages`` the way pip and uv
  do, and removes it again by its ``RECORD``.

The commands use them through `app/pypi_lock.py` (after the conda solve, `resolve` gives the
lock's PyPI entries) and `app/pypi_sync.py` (after the conda install, `wheel` puts the locked
wheels into site-packages and removes those that left the lock).

Read after `channel/` and `install/`: these are their PyPI counterparts. Reading order:
`pypi/index.py`, `pypi/target.py`, `pypi/provider.py`, `pypi/resolve.py`, `pypi/explain.py`,
`pypi/wheel.py`.
"""
