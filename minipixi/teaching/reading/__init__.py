"""Learner files read as data: what a script, an image or a workflow *would* do, never run.

A grader that runs a learner's Dockerfile or batch script runs the learner's code; a grader that
searches its text is fooled by ``echo "pixi install --locked"`` and by ``false && pixi install``.
So every file kind is read by a real parser for its language and walked, never executed:

- `teaching/reading/commands.py`: the command tree and the walk that marks what a run reaches;
- `teaching/reading/shell.py`: Pixi's task shell and bash (bashlex), text to tree;
- `teaching/reading/pixi_calls.py`: which ``pixi`` commands a run starts, and what they activate;
- `teaching/reading/dockerfile.py`: Dockerfile instructions, stages and RUN lines;
- `teaching/reading/apptainer.py`: Apptainer definition files, stages and sections;
- `teaching/reading/batch.py`: the ``#SBATCH`` header and the files a job script reads;
- `teaching/reading/submit.py`: HTCondor submit descriptions and what they transfer;
- `teaching/reading/workflow.py`: GitHub Actions workflows and their ``if:`` expressions.

tests/grading/test_command_reading.py and test_check_helpers.py show each reader on the
equivalent forms it accepts and the look-alikes it refuses.

Read after `teaching/checks/cuda.py`, in the order above.
"""
