export CONDA_OVERRIDE_CUDA=12
minipixi install
cat .pixi/envs/default/conda-meta/cuda-version-12.9-*.json
