eval "$(minipixi shell-hook --environment cpu --shell bash)"
command -v python
python src/check_gpu.py
