head -n 25 pixi.lock
