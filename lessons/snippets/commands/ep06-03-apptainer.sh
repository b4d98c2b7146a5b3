minipixi workspace export apptainer --environment gpu --cuda 12 --source src
cat apptainer.def
