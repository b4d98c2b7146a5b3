cd ..
minipixi workspace export github-workflow --manifest-path htcondor/pixi.toml --environment gpu --cuda 12
ls .github/workflows
