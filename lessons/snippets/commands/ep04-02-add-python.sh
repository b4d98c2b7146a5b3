minipixi add python
minipixi install
ls .pixi/envs/default
