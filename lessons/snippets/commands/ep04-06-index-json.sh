cat info/info/index.json
head -n 20 info/info/paths.json
