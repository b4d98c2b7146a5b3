minipixi workspace export github-workflow --environment gpu --cuda 12
ls .github/workflows
cat .github/workflows/gpu-docker-image.yaml
