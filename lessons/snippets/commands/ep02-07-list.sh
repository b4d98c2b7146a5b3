minipixi list
