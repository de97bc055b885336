#!/usr/bin/env bash
# Runs `tlab bench images` alternately with the Pillow reference (and Pillow-SIMD when its venv
# exists) on one corpus of photo-like JPEG and PNG files, then prints per case the median images/s
# of each and the median (min..max) of the paired per-round ratios, ours ÷ the reference run right
# after it. The first round also checks that our resized images are byte-identical to Pillow's.
# Usage: benchmarks/run-images.sh [rounds=5] [runs=5] [side=224] [mode=crop]
#   TLAB=path/to/tlab         use this binary instead of building `swift build -c release`
#   PILLOW_PYTHON=python      interpreter with Pillow (default ~/.venvs/pillow/bin/python)
#   SIMD_PYTHON=python        interpreter with Pillow-SIMD (default ~/.venvs/pillow-simd/bin/python)
#   CORPUS=folder             the images (default: written by tlab into a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} runs=${2:-5} side=${3:-224} mode=${4:-crop}
pillow=${PILLOW_PYTHON:-$HOME/.venvs/pillow/bin/python}
simd=${SIMD_PYTHON:-$HOME/.venvs/pillow-simd/bin/python}
if [[ -z "${TLAB:-}" ]]; then
    swift build -c release --product tlab
    TLAB="$(swift build -c release --show-bin-path)/tlab"
fi
"$pillow" -c 'import PIL' || { echo "no Pillow in $pillow: python3 -m venv ~/.venvs/pillow && ~/.venvs/pillow/bin/pip install pillow" >&2; exit 1; }
have_simd=0
"$simd" -c 'import PIL' 2>/dev/null && have_simd=1
out=$(mktemp -d)
corpus=${CORPUS:-$out/corpus}
[[ -d "$corpus" ]] || "$TLAB" bench images "$corpus" --write-corpus --runs 1 > /dev/null
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
echo "results in $out; corpus $corpus; load before: $(load_average)"
for round in $(seq 1 "$rounds"); do
    dump=()
    [[ $round == 1 ]] && dump=(--dump "$out/dump")
    "$TLAB" bench images "$corpus" --side "$side" --mode "$mode" --runs "$runs" --json "${dump[@]}" > "$out/ours-$round.json"
    compare=()
    [[ $round == 1 ]] && compare=(--compare "$out/dump")
    "$pillow" benchmarks/reference/bench_pillow_images.py "$corpus" --side "$side" --mode "$mode" --runs "$runs" --json "${compare[@]}" > "$out/pillow-$round.json"
    if (( have_simd )); then
        "$simd" benchmarks/reference/bench_pillow_images.py "$corpus" --side "$side" --mode "$mode" --runs "$runs" --json > "$out/simd-$round.json"
    fi
    echo "round $round/$rounds done; load $(load_average)"
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
from pathlib import Path
out, rounds = Path(sys.argv[1]), int(sys.argv[2])
def load(kind, r):
    path = out / f"{kind}-{r}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if isinstance(data, dict):
        for fmt, c in data["compared"].items():
            print(f"{fmt}: {c['identical']} of {c['files']} resized images byte-identical to Pillow's (largest difference {c['largestDifference']})")
        data = data["results"]
    return {x["name"]: x["imagesPerSecond"] for x in data}
rows = {}
for r in range(1, rounds + 1):
    ours, pillow, simd = load("ours", r), load("pillow", r), load("simd", r)
    for name, value in ours.items():
        row = rows.setdefault(name, {"ours": [], "pillow": [], "simd": [], "ratio": [], "simdRatio": []})
        row["ours"].append(value)
        row["pillow"].append(pillow[name])
        row["ratio"].append(value / pillow[name])
        if simd:
            row["simd"].append(simd[name])
            row["simdRatio"].append(value / simd[name])
def spread(xs):
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}..{max(xs):.2f})" if xs else "-"
print(f"{'case (images/s, one thread)':<34} {'ours':>8} {'Pillow':>8} {'ours/Pillow':<18} {'SIMD':>8} {'ours/SIMD':<18}")
for name, row in rows.items():
    simd = f"{statistics.median(row['simd']):8.1f}" if row["simd"] else f"{'-':>8}"
    print(f"{name:<34} {statistics.median(row['ours']):8.1f} {statistics.median(row['pillow']):8.1f} {spread(row['ratio']):<18} {simd} {spread(row['simdRatio']):<18}")
PY
echo "load after: $(load_average)"
