#!/usr/bin/env bash
# The main job on every named data set: `rulex compare DATA` with default settings (one network,
# seed 0), each table written to benchmarks/results/compare/DATA.md.
#   bash benchmarks/compare_datasets.sh                 # all of them (about 15 minutes on 2 cores)
#   bash benchmarks/compare_datasets.sh iris heart      # some of them
set -u
cd "$(dirname "$0")/.."
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(breast_cancer iris wine xor monk1 monk2 monk3 heart german_credit mushroom adult diabetes)
rulex=$(command -v rulex || echo .venv/bin/rulex)   # the activated venv's, or the checkout's .venv
mkdir -p benchmarks/results/compare
for d in "${sets[@]}"; do
  start=$(date +%s)
  "$rulex" compare "$d" --out "benchmarks/results/compare/$d.md" > /dev/null || echo "$d: rulex compare failed" >&2
  echo "$d: $(( $(date +%s) - start )) s"
done
