minipixi workspace platform add linux-64 osx-arm64 win-64
minipixi add --platform linux-64 cuda pytorch-gpu
minipixi list
cat pixi.toml
