#!/usr/bin/env bash
# The issue-13 benchmark suite: `make bench` (size S, under 15 minutes on 2 cores) or `make bench-full`.
#   scripts/bench.sh          size S: validation on the territories and an S sample, engines, throughput, pages,
#                             derived data; slow baselines once (pySHACL, rdflib-endpoint with a time limit)
#   scripts/bench.sh full     the same with more runs, the whole S observatory validated by every engine, longer
#                             throughput runs and no time limit on the validated load
#   BENCH_SIZE=M scripts/bench.sh full    (or L) the engines and throughput on size M (~10M triples) or L (~50M)
# Each script replaces its own section of benchmarks/RESULTS.md; the section « Issue 13 targets » is
# regenerated last from .bench/results/*.json (benchmarks/targets.py).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-S}
size=${BENCH_SIZE:-S}
bash scripts/bench-install.sh
py=.venv/bin/python
started=$(date +%s)
if [[ $mode == full ]]; then
    $py benchmarks/validation.py --full --runs 3 --timeout 3600 --pipeline-timeout 3600 --update
    $py benchmarks/engines.py --size "$size" --runs 5 --slow-timeout 120 --update
    $py benchmarks/throughput.py --size "$size" --seconds 30 --update
else
    $py benchmarks/validation.py --runs 1 --s-communes 300 --timeout 150 --pipeline-timeout 150 --update
    $py benchmarks/engines.py --runs 3 --update
    $py benchmarks/throughput.py --seconds 8 --update
fi
# The serving pages and the derived data have their own benchmarks (issue 13's helpers serve and derived).
# Both read stores built once in .bench/data: the engines' S store (serving) and a store built through the loaders'
# write path with the bundled observatory (derived data; `make bench` skips the reasoner, `bench-full` runs it).
$py benchmarks/serving_targets.py --store "$($py benchmarks/suite.py store-path "$size")" \
    --runs $([[ $mode == full ]] && echo 50 || echo 20) --update
if [[ $mode == full ]]; then
    $py benchmarks/derived.py --size "$size" --store ".bench/data/derived-$size" --runs 3 --update
else
    $py benchmarks/derived.py --size "$size" --store ".bench/data/derived-$size" --runs 1 --skip reason --update
fi
$py benchmarks/targets.py --write
echo "bench: $(( $(date +%s) - started )) s; see benchmarks/RESULTS.md" >&2
