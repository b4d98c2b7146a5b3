#!/bin/bash
{{ header }}
#
# Checks that the job's inputs are here, then hands the submit description to HTCondor.
set -euo pipefail
cd "$(dirname "$0")"

inputs=({{ input_list }})
missing=0
for input in "${inputs[@]}"; do
    if [ ! -e "${input}" ]; then
        echo "missing input: ${input} (it is listed in transfer_input_files)" >&2
        missing=1
    fi
done
if [ "${missing}" -ne 0 ]; then
    exit 1
fi

condor_submit {{ submit_file }}
