"""The command line, one module per area: each registers its commands' grammar and renders what
the library returns. `cli.py` builds the parser from them and handles every error.

Read after `cli.py`: `commands/common.py` first, then one area at a time.
"""
