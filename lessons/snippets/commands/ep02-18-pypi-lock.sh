grep -A 3 "^- pypi:" pixi.lock | head -n 14
grep -A 8 "^- conda: .*platformdirs" pixi.lock
