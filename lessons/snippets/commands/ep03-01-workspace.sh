minipixi init export-demo
cd export-demo
minipixi workspace platform add linux-64 osx-arm64 win-64
minipixi add python numpy
