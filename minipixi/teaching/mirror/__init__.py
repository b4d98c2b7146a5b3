"""The bundled offline teaching channel: its recipe (recipe.yaml), its builder
`teaching/mirror/build.py`, and the channel built from them (the ``channel`` folder here)."""
