export CONDA_OVERRIDE_CUDA=12
minipixi install
grep -A 3 "\"constrains\"" .pixi/envs/default/conda-meta/cuda-version-12.9-*.json
