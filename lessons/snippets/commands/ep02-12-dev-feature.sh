minipixi add --feature dev pre-commit
minipixi workspace environment add dev --feature dev
minipixi workspace environment list
