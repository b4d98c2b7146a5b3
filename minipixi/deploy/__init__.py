"""Taking an environment elsewhere: export to conda's formats (export) and deployment files for
containers, HTCondor, Slurm and CI (render, from the plain templates in templates/)."""
