"""The lesson's own tools: the tour, the offline teaching mirror, and the grader (grade, checks,
command_reading, gradebook). None of this is Pixi; all of it is for classrooms."""
