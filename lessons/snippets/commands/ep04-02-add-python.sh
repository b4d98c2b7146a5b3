minipixi add python
ls .pixi/envs/default
