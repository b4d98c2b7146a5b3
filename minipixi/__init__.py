"""minipixi: a readable re-implementation of Pixi, the package manager, in Python.

Read the modules in pipeline order, the same order as the lesson:

    version -> matchspec -> records           (the types: what a spec and a record are)
    manifest                                  (pixi.toml: what the user asks for)
    channel -> virtual_packages -> solver     (which records satisfy the asks)
    lock                                      (write the answer down, byte-stable)
    package -> install -> activation -> tasks (turn the lock into a working prefix)
    export, templates/                        (leave the laptop: conda files, containers, clusters)
    cli                                       (the only module that prints)

Importing this package is cheap on purpose: heavy modules (numba, httpx) load lazily.
"""

__version__ = "0.1.0"
#: The Pixi release whose manifest, lock file and commands minipixi follows (``--version`` says it;
#: a manifest's ``requires-pixi`` is checked against it). `manifest.model.PIXI_VERSION` is this.
PIXI_VERSION = "0.77.0"
