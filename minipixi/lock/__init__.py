"""Lock files: pixi.lock read and written byte for byte (lockfile, yaml_dialect), judged up to date
without a solver (satisfiability), and compared (diff)."""
