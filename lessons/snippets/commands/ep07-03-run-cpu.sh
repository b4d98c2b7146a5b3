minipixi run --environment cpu python src/check_gpu.py
