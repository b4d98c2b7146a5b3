minipixi run --environment dev pre-commit --version
