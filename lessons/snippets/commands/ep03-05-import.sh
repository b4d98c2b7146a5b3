cd ..
minipixi init --import export-demo/environment.yml imported
cat imported/pixi.toml
