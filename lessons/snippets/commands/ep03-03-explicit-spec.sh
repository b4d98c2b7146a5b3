minipixi workspace export conda-explicit-spec specs
ls specs
head -n 6 specs/default_linux-64_conda_spec.txt
