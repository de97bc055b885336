#!/usr/bin/env bash
# The default pipeline on a shared store (PostgreSQL lineage on loopback, blobs in a local folder):
# one worker against two, each worker a 1-thread process on a core of its own (TLAB_THREADS=1,
# taskset), alternating, ROUNDS rounds; then a no-op rerun against the store the last round filled.
# Prints one line per measurement and the uptime load before each.
#
#   TLAB=.build/release/tlab benchmarks/shared-store.sh [ROUNDS] [PIPELINE]
#
# Starts its own PostgreSQL (initdb + pg_ctl in a temporary folder, as the postgres user when run as
# root) and removes it at the end. Needs two cores.
set -euo pipefail
rounds=${1:-2}
pipeline=${2:-pipelines/fashion-transfer.yaml}
tlab=$(realpath "${TLAB:-.build/release/tlab}")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/tlab-shared-bench.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; as_pg=(runuser -u postgres --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bin/initdb" -D "$work/data" -U tlab --auth trust -E UTF8 --locale C >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -o "-p $port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
trap '"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null; rm -rf "$work"' EXIT

store() {  # store NAME: a fresh database and blob folder, and its store file
  "${as_pg[@]}" "$bin/createdb" -h "$work" -p "$port" -U tlab "$1"
  printf 'lineage: postgresql://tlab@127.0.0.1:%s/%s\nblobs: %s/%s-blobs\n' "$port" "$1" "$work" "$1" > "$work/$1.yaml"
  echo "$work/$1.yaml"
}
worker() {  # worker CORE STORE
  (cd "$work" && TLAB_THREADS=1 taskset -c "$1" "$tlab" worker --store "$2" --quiet --reports "reports-$1" >/dev/null)
}
seconds() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }

for round in $(seq 1 "$rounds"); do
  for workers in 1 2; do
    file=$(store "r${round}w${workers}")
    "$tlab" run "$pipeline" --store "$file" --submit >/dev/null
    echo "load: $(uptime | sed 's/.*load average: //')"
    start=$(date +%s.%N)
    if [ "$workers" -eq 1 ]; then worker 0 "$file"; else worker 0 "$file" & worker 1 "$file" & wait; fi
    echo "round $round: $workers worker(s): $(seconds "$start") s"
  done
done
for attempt in 1 2 3; do
  start=$(date +%s.%N)
  "$tlab" run "$pipeline" --store "$file" --quiet --reports "$work/noop" >/dev/null
  echo "no-op rerun $attempt: $(seconds "$start") s"
done
