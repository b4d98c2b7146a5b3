minipixi init cuda-example
cd cuda-example
minipixi workspace system-requirements add cuda 12
cat pixi.toml
