#!/bin/bash
# Submits a sweep as a Slurm job array of SHARDS tasks plus a merge job that starts when
# every task has ended. If a task failed or was cancelled, the merge fails with one line
# naming the missing shard (with afterok it would instead wait in the queue forever,
# DependencyNeverSatisfied, saying nothing).
#
#   deploy/slurm/submit.sh scenarios/sweeps/walker100-layouts.toml /shared/sweeps/walker100 8
#
# Run it from the repository root (sweep files name their base scenario relative to
# themselves, so any working directory works if the paths are absolute).
set -euo pipefail
SWEEP=${1:?usage: submit.sh SWEEP_FILE OUT_DIR SHARDS}
OUT=${2:?usage: submit.sh SWEEP_FILE OUT_DIR SHARDS}
SHARDS=${3:?usage: submit.sh SWEEP_FILE OUT_DIR SHARDS}
HERE=$(cd "$(dirname "$0")" && pwd)

# Fail now, not on the cluster, if the sweep file or any variant is wrong (--list checks
# every variant without running it); and say how many runs there are.
LIST=$("${ORBSIM:-orbsim}" sweep "${SWEEP}" --list --shard all)
RUNS=$(( $(printf '%s\n' "${LIST}" | wc -l) - 1 ))
echo "${SWEEP}: ${RUNS} runs in ${SHARDS} shards"

mkdir -p "${OUT}"
# --export=ALL passes ORBSIM (the binary's path) and the like to the jobs.
ARRAY=$(sbatch --parsable --export=ALL --array="0-$((SHARDS - 1))" "${HERE}/sweep.sbatch" "${SWEEP}" "${OUT}")
MERGE=$(sbatch --parsable --export=ALL --dependency="afterany:${ARRAY%%;*}" "${HERE}/merge.sbatch" "${OUT}")
echo "array job ${ARRAY} (${SHARDS} tasks), merge job ${MERGE}; results in ${OUT}/sweep.csv"
