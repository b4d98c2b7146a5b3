export CONDA_OVERRIDE_CUDA=12
minipixi install --locked --environment gpu
minipixi shell-hook --environment gpu --shell bash
