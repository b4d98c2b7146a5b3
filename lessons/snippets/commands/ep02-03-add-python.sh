minipixi add python
cat pixi.toml
