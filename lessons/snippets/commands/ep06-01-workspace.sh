minipixi init cuda-exercise
cd cuda-exercise
cat > pixi.toml <<'TOML'
[workspace]
channels = ["conda-forge"]
name = "cuda-exercise"
platforms = [
  "linux-64",
  "osx-arm64",
  "win-64",
  { name = "linux-64-cuda", platform = "linux-64", cuda = "12" },
]
version = "0.1.0"

[feature.cpu]
platforms = ["linux-64", "osx-arm64", "win-64"]

[feature.cpu.dependencies]
pytorch-cpu = ">=2.7.0,<3"

[feature.gpu]
platforms = ["linux-64-cuda"]

[feature.gpu.dependencies]
cuda-version = "12.9.*"
pytorch-gpu = ">=2.7.0,<3"

[environments]
cpu = ["cpu"]
gpu = ["gpu"]
TOML
mkdir src
printf 'import torch\nprint(torch.__version__)\n' > src/check_torch.py
minipixi lock
