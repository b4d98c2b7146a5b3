"""Lock files: pixi.lock as data (`lock/model.py`, and `lock/locations.py` for what a URL already
says), read and written byte for byte (`lock/read.py`, `lock/write.py`, `lock/yaml_dialect.py`),
judged up to date without a solver (`lock/satisfiability.py`), and compared (`lock/diff.py`)."""
