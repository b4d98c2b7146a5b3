CONDA_OVERRIDE_CUDA= minipixi install --environment gpu
