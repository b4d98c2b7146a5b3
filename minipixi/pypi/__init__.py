"""PyPI packages next to conda packages: the pieces of ``[pypi-dependencies]``.

Pixi installs Python packages from a PyPI-style index into the same prefix as its conda
packages. This package holds that side of minipixi, one concept per module:

- `index` reads a *simple repository* (the index API every PyPI mirror serves): which files a
  project has, their hashes, which Python they need, whether they were yanked, and their
  metadata (what they depend on), with a cache that revalidates like the repodata cache.
- `wheel` installs a downloaded ``.whl`` into a prefix's ``site-packages`` the way pip and uv
  do, and removes it again by its ``RECORD``.

Both are foundations of issue 20: the resolution step (a PubGrub provider over `index`) and the
install step (the lock's PyPI entries through `wheel`) call them; no command does yet.

Read after `channel/` and `install/`: these are their PyPI counterparts.
"""
