#!/usr/bin/env bash
# Put and get+verify of a float32 tensor through a blob store whose blobs live in an S3 bucket (moto on
# loopback), alternating round by round with moto's own ceiling measured on a file of the same stored
# size: one curl PUT and GET (SigV4-signed by curl), and with BOTO3=1 boto3's upload_file and
# download_file (slow against moto: it answers each ranged GET by slicing the whole object).
#
#   benchmarks/run-s3.sh [ROUNDS [SIZE_MIB [CONTENT]]]   default 5 rounds of 1024 MiB of weights
#                                                        (CONTENT: weights, random or sparse; see
#                                                        `tlab bench s3 --help`)
#   TLAB=path/to/tlab                                    use this binary instead of building it
#
# Prints one JSON line per round (seconds, load average before the round) and a markdown table of
# medians with min..max. Needs python3 with moto[server] and boto3 (scripts/setup), and curl ≥ 7.75.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
size_mib=${2:-1024}
content=${3:-weights}
if [[ -z "${TLAB:-}" ]]; then
    swift build -c release --product tlab
    TLAB="$(swift build -c release --show-bin-path)/tlab"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; rm -rf "$work"' EXIT

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -s -o /dev/null "$AWS_ENDPOINT_URL" && break
    sleep 0.2
done
python3 -c 'import boto3; boto3.client("s3").create_bucket(Bucket="bench")'

# curl signs with SigV4 itself; the payload goes unsigned, as boto3 sends it over plain HTTP.
s3curl() {
    curl -s -f -o "$1" -w '%{time_total}' --aws-sigv4 "aws:amz:us-east-1:s3" --user bench:bench \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "${@:2}"
}

boto3_round() {
    python3 - "$1" <<'EOF'
import boto3, sys, time
s3, path = boto3.client("s3"), sys.argv[1]
start = time.perf_counter(); s3.upload_file(path, "bench", "boto3.bin"); put = time.perf_counter() - start
start = time.perf_counter(); s3.download_file("bench", "boto3.bin", path + ".get"); get = time.perf_counter() - start
s3.delete_object(Bucket="bench", Key="boto3.bin")
print(f"{put:.3f} {get:.3f}")
EOF
}

results="$work/rounds.jsonl"
echo "moto at $AWS_ENDPOINT_URL; $rounds rounds of $size_mib MiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours=$("$TLAB" bench s3 s3://bench/blobs --size-mib "$size_mib" --content "$content" --runs 1 --json --dir "$work")
    stored=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["storedBytes"])' "$ours")
    [[ -f "$work/ref.bin" ]] || head -c "$stored" /dev/urandom >"$work/ref.bin"
    curl_put=$(s3curl /dev/null -T "$work/ref.bin" "$AWS_ENDPOINT_URL/bench/curl.bin")
    curl_get=$(s3curl "$work/ref.get" "$AWS_ENDPOINT_URL/bench/curl.bin")
    s3curl /dev/null -X DELETE "$AWS_ENDPOINT_URL/bench/curl.bin" >/dev/null
    boto_put=0 boto_get=0
    [[ -n "${BOTO3:-}" ]] && read -r boto_put boto_get < <(boto3_round "$work/ref.bin")
    rm -f "$work/ref.get" "$work/ref.bin.get"
    python3 -c '
import json, sys
ours = json.loads(sys.argv[1])
print(json.dumps({"round": int(sys.argv[2]), "load": float(sys.argv[3]), "rawBytes": ours["rawBytes"],
                  "storedBytes": ours["storedBytes"], "ours_put": ours["putSeconds"][0], "ours_get": ours["getSeconds"][0],
                  "curl_put": float(sys.argv[4]), "curl_get": float(sys.argv[5]),
                  "boto3_put": float(sys.argv[6]), "boto3_get": float(sys.argv[7])}))
' "$ours" "$round" "$load" "$curl_put" "$curl_get" "$boto_put" "$boto_get" | tee -a "$results"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
stored = rows[0]["storedBytes"]
def cell(key):
    values = sorted(r[key] for r in rows)
    median = statistics.median(values)
    return f"{median:.1f} s ({values[0]:.1f}..{values[-1]:.1f}) | {stored / 1e6 / median:.0f}"
boto3 = rows[0]["boto3_put"] > 0
print(f"\n{rows[0]['rawBytes'] / 2**20:.0f} MiB tensor, {stored / 1e6:.0f} MB stored; {len(rows)} rounds; "
      f"load average before each round {min(r['load'] for r in rows):.1f}..{max(r['load'] for r in rows):.1f}\n")
print("| what | put: seconds, median (min..max) | MB/s stored | get: seconds, median (min..max) | MB/s stored |")
print("|---|--:|--:|--:|--:|")
for name, prefix in [("tlab tiered store (put: hash+compress+fsync+upload; get: download+verify+fsync)", "ours"),
                     ("curl, one PUT / one GET", "curl")] + ([("boto3 upload_file / download_file", "boto3")] if boto3 else []):
    print(f"| {name} | {cell(prefix + '_put')} | {cell(prefix + '_get')} |")
# Each round's time over the reference run right after it, in the same session.
def ratio(direction, reference):
    values = sorted(r[f"ours_{direction}"] / r[f"{reference}_{direction}"] for r in rows)
    return f"{statistics.median(values):.2f} ({values[0]:.2f}..{values[-1]:.2f})"
print("\n| paired ratio, tlab time ÷ reference time | put | get |\n|---|--:|--:|")
for reference in ["curl"] + (["boto3"] if boto3 else []):
    print(f"| ÷ {reference} | {ratio('put', reference)} | {ratio('get', reference)} |")
EOF
