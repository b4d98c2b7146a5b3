"""Installing: from locked records to a working prefix. Reading archives (tar, package), the
transaction and linking (install), and the worker processes that do it in parallel (workers)."""
