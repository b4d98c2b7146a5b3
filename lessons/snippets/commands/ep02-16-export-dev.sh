minipixi workspace export conda-environment --environment dev environment.yml
cat environment.yml
