minipixi global install bat
minipixi global list
