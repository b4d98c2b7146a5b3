"""The properties exercises are graded on, written once and shared by every exercise.

Each function looks at a learner's submission (`teaching/grade.py`: `Submission`) and raises
`CheckFailed` with feedback that points at the problem without giving the answer. They ask
minipixi itself: read the manifest, solve an environment on the teaching channel (or check the
learner's own pixi.lock against the manifest), plan a task graph. So a correct answer passes
however it is written, and with whatever versions real conda-forge had when the learner locked.
An exercise's checks.py imports what it needs from these modules, in the order of the lesson:

- `teaching/checks/environments.py`: environments, platforms, and the records they install;
- `teaching/checks/tasks.py`: tasks, their order, and whether a command starts JupyterLab;
- `teaching/checks/files.py`: finding a submission's files and reading YAML, TOML, explicit
  specs, and bash syntax (``bash -n``, the one outside program a check starts);
- `teaching/checks/cuda.py`: CPU-only and CUDA environments, across made-up driver versions;
- `teaching/checks/global_tools.py`: a global manifest, installed and updated offline.

Learner commands, Dockerfiles, job scripts and workflows are read by `teaching/reading/`.
tests/grading/wrong_answers/ holds the look-alikes each check refuses.

Read after `teaching/grade.py`.
"""
