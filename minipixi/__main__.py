"""`python -m minipixi` runs the same command line as the `minipixi` script.

Read next `cli.py`, where that command line is built and every error is rendered.
"""

from minipixi.cli import entrypoint

if __name__ == "__main__":  # not when a worker process (spawn) imports this module again
    entrypoint()
