minipixi add "cuda-version 12.9.*"
