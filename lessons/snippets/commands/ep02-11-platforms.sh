minipixi workspace platform add linux-64 osx-arm64 win-64
minipixi workspace platform list
