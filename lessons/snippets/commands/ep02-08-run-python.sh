minipixi run python --version
