minipixi why __cuda --environment gpu --platform linux-64-cuda
minipixi why python --environment gpu --platform linux-64-cuda
minipixi tree --environment gpu --platform linux-64-cuda --format svg > gpu-environment.svg
