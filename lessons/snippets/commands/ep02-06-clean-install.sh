minipixi clean
minipixi install
