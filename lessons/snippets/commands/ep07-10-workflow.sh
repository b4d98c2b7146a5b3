cd ..
minipixi workspace export github-workflow --manifest-path htcondor/pixi.toml --workspace-dir htcondor --output-dir . --environment gpu --cuda 12
ls .github/workflows
grep -n "htcondor" .github/workflows/gpu-docker-image.yaml
