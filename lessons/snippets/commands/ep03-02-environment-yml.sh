minipixi workspace export conda-environment environment.yml
cat environment.yml
