"""The bundled offline teaching channel: `recipe.yaml`, its builder `build.py`, and `channel/`."""
