minipixi lock
minipixi list --environment cpu
minipixi list --environment gpu
