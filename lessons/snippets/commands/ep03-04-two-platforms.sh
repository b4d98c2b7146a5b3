minipixi workspace export conda-explicit-spec --platform linux-64 --platform osx-arm64 locks
head -n 5 locks/*.txt
