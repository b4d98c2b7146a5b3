mkdir -p src
cat > src/check_gpu.py <<'PY'
# --8<-- [start:py]
import torch

print("PyTorch", torch.__version__, "built for CUDA:", torch.version.cuda)
print("GPU available:", torch.cuda.is_available())
# --8<-- [end:py]
PY
