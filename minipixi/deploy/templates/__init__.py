"""Plain-text templates for the deployment generators in `deploy/render.py`."""
