#!/usr/bin/env bash
# Wall time of workflows/smoke.yaml with --executor local (-j 2) and with
# --executor slurm on the single-host Slurm of scripts/slurm-local.sh, same
# machine, one after the other, no store (every job computed both times).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p nonaffine-cli -p nonaffine-lammps --bins
eval "$(scripts/slurm-local.sh start)"
trap 'scripts/slurm-local.sh stop' EXIT
out=$(mktemp -d)
t0=$(date +%s.%N)
target/debug/nonaffine run workflows/smoke.yaml --out "$out/local" --no-store -j 2 >/dev/null 2>&1
t1=$(date +%s.%N)
target/debug/nonaffine run workflows/smoke.yaml --out "$out/slurm" --no-store --executor slurm >/dev/null 2>&1
t2=$(date +%s.%N)
target/debug/nonaffine diff "$out/local" "$out/slurm" | tail -1
jobs=$(ls -d "$out"/slurm/slurm/*/*/ | wc -l)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$jobs" 'BEGIN {
  printf "local (-j 2): %.1f s; slurm: %.1f s; ratio %.2f; %d batch jobs, %+.2f s per batch job\n",
    b - a, c - b, (c - b) / (b - a), n, ((c - b) - (b - a)) / n }'
rm -rf "$out"
