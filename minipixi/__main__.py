"""`python -m minipixi` runs the same command line as the `minipixi` script."""

from minipixi.cli import entrypoint

entrypoint()
