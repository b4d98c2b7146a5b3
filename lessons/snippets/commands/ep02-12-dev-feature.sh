minipixi add --feature dev pre-commit
minipixi workspace environment add dev --feature dev
minipixi add --feature dev pre-commit
grep -A 1 "^\[feature.dev" pixi.toml
grep -A 1 "^\[environments\]" pixi.toml
