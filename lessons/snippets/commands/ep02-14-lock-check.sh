minipixi lock --check
minipixi install --locked
