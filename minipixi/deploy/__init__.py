"""Taking an environment elsewhere: export to conda's formats (`deploy/export.py`) and deployment
files for containers, HTCondor, Slurm and CI (`deploy/render.py`, from the plain templates in
`deploy/templates/`)."""
