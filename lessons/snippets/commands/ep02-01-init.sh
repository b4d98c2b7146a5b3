minipixi init example
