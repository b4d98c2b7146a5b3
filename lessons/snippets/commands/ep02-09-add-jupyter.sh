minipixi add numpy notebook jupyterlab
minipixi task add lab "jupyter lab" --description "Launch JupyterLab"
cat pixi.toml
