grep -m 1 "/python-3" pixi.lock
cache=$(minipixi info --json | python -c "import json, sys; print(json.load(sys.stdin)['system']['cache dir'])")
mkdir ../unpack && cd ../unpack
cp "$(find "$cache" -name "python-3*.conda" | head -n 1)" .
ls
