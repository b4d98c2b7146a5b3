minipixi init slurm-demo
cd slurm-demo
cat > pixi.toml <<'TOML'
[workspace]
channels = ["conda-forge"]
name = "slurm-demo"
platforms = [
  "linux-64",
  "osx-arm64",
  "win-64",
  { name = "linux-64-cuda", platform = "linux-64", cuda = "12" },
]
version = "0.1.0"

[dependencies]
python = ">=3.13,<3.14"

[feature.cpu]
platforms = ["linux-64", "osx-arm64", "win-64"]

[feature.cpu.dependencies]
pytorch-cpu = ">=2.7.0,<3"
torchvision = ">=0.22.0,<0.23"

[feature.gpu]
platforms = ["linux-64-cuda"]

[feature.gpu.dependencies]
cuda-version = "12.9.*"
pytorch-gpu = ">=2.7.0,<3"
torchvision = ">=0.22.0,<0.23"

[environments]
cpu = ["cpu"]
gpu = ["gpu"]
TOML
minipixi lock
