"""Plain-text templates for the deployment generators in `minipixi.deploy.render`."""
