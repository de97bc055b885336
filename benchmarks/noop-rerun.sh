#!/usr/bin/env bash
# The cost of "nothing to do": on a store where PIPELINE has run, alternate round by round a no-op
# `tlab run` (cache hits check that each output blob is there), `tlab status`, and `tlab run
# --verify-outputs` (every output read and re-hashed, what a hit did before), timing each process.
#
#   benchmarks/noop-rerun.sh PIPELINE STORE [ROUNDS [-S OVERRIDE ...]]    default 5 rounds
#   TLAB=path/to/tlab                                                    the binary (default .build/release/tlab)
#
# Prints one line per round (seconds of each, load average before it) and the median of each.
set -euo pipefail
pipeline=$1
store=$2
rounds=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
tlab=${TLAB:-.build/release/tlab}
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT

seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

run=() status=() verify=()
for round in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    run+=("$(seconds "$tlab" run "$pipeline" --store "$store" --quiet --reports "$reports" "$@")")
    status+=("$(seconds "$tlab" status "$pipeline" --store "$store" "$@")")
    verify+=("$(seconds "$tlab" run "$pipeline" --store "$store" --quiet --reports "$reports" --verify-outputs "$@")")
    echo "round $round: run ${run[-1]} s, status ${status[-1]} s, run --verify-outputs ${verify[-1]} s (load $load)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: run $(median "${run[@]}") s, status $(median "${status[@]}") s, run --verify-outputs $(median "${verify[@]}") s"
