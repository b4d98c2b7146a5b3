"""The lesson's own tools: none of this is Pixi; all of it is for classrooms.

- `teaching/tour.py`: the lesson's main flow as data, run for real by ``minipixi tour``;
- `teaching/mirror/`: the offline teaching channel that stands in for conda-forge;
- the grader, in reading order: `teaching/grade.py` (exercises, submissions, checks, reports),
  `teaching/checks/` (the properties exercises are graded on: environments, tasks, files, CUDA
  builds, global tools), `teaching/reading/` (learner files read as data with real parsers and
  never run: shell text, Dockerfiles, Apptainer definitions, batch scripts, HTCondor submit
  files, GitHub workflows), and `teaching/gradebook.py` (a whole class, each learner in an
  isolated worker).
"""
