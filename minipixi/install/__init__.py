"""Installing: from locked records to a working prefix. Reading archives (`install/tar.py`,
`install/package.py`, `install/package_info.py`; `install/package_writer.py` writes them), the
pipeline (`install/install.py`) and its stages: the package cache (`install/package_cache.py`),
the conda-meta records (`install/prefix_records.py`), the transaction (`install/transaction.py`)
and linking (`install/link.py`); and the worker processes that do it in parallel
(`install/workers.py`)."""
