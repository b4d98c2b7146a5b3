cd example
ls -A
cat pixi.toml
