"""Running things inside an environment: activation (variables and scripts), tasks (a graph of
commands) and the task shell that reads them the same way on every OS."""
