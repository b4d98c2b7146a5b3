minipixi add --pypi "tinyconfig[units]>=0.2"
grep -A 1 "^\[pypi-dependencies\]" pixi.toml
minipixi list | grep -E "^(Package|platformdirs|tiny)"
minipixi run python -c "import tinyconfig; print(tinyconfig.describe())"
