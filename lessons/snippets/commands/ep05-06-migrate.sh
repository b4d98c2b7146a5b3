minipixi workspace migrate
cat pixi.toml
