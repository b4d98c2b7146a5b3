minipixi workspace export dockerfile --environment gpu --cuda 12 --source src
cat Dockerfile
