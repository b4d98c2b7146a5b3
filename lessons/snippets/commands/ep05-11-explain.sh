cd ..
minipixi init old-stats
cd old-stats
cat >> pixi.toml <<'TOML'
python = "*"
numpy = "*"
legacy-stats = "*"
TOML
minipixi lock --explain
