"""Running things inside an environment: activation, variables and scripts (`run/activation.py`),
tasks, a graph of commands (`run/tasks.py`), and the task shell that reads them the same way on
every OS (`run/task_shell.py`)."""
