#!/bin/bash
{{ header }}
#
# HTCondor runs this script on the worker node, inside the container, with the job's process
# number as its first argument.
set -euo pipefail

echo "# job ${1:-0} on $(hostname)"
{{ gpu_report }}

# Activate the environment. The entrypoint ends with 'exec "$@"', which would replace this
# script with its own arguments, so source every line but that last one.
# shellcheck disable=SC1090
. <(sed '$d' /app/entrypoint.sh)

{{ input_checks }}
{{ command }}
