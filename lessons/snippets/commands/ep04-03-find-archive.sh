grep -m 1 "linux-64/python-3" pixi.lock
mkdir ../unpack && cd ../unpack
cp "$(find ~/.cache/minipixi -name "python-3*.conda" | head -n 1)" .
ls
