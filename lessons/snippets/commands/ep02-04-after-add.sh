ls -A
ls .pixi/envs
ls .pixi/envs/default
