cat >> pixi.toml <<'TOML'

[tasks.start]
description = "Start exploring the workspace"
depends-on = ["lab"]
TOML
minipixi task list
