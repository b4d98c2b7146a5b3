cd ../../dir-structure
ls .pixi/envs/default/conda-meta
head -n 15 .pixi/envs/default/conda-meta/python-3*.json
