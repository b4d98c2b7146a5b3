minipixi workspace export dockerfile --environment gpu --cuda 12
grep -n "CONDA_OVERRIDE_CUDA\|install --locked\|COPY --from=build" Dockerfile
