CONDA_OVERRIDE_CUDA=12.4 minipixi info | grep -o "__cuda=[^,]*"
