#!/usr/bin/env bash
# Runs `tlab bench models` alternately with the PyTorch reference, each case in its own process (so
# its peak RSS is its own) and PyTorch right after ours, then prints per case the median of the paired
# images/s ratios and their spread.
# Usage: benchmarks/run-models.sh [rounds=5] [threads=2] [runs=3]   (TLAB, TORCH_PYTHON: see alternate.sh)
rounds=${1:-5}
threads=${2:-2}
runs=${3:-3}
source "$(dirname "$0")/alternate.sh"
cases=(densenet-bc-40-12-28x28-b64 densenet-121-32x32-b32 densenet-121-155x155-b8)

model_round() {
    for case in "${cases[@]}"; do
        "$TLAB" bench models --case "$case" --runs "$runs" --threads "$threads" --json > "$out/ours-$1-$case.json"
        if (( have_torch )); then
            torch_reference benchmarks/reference/bench_torch_models.py --case "$case" --runs "$runs" \
                --threads "$threads" --json > "$out/torch-$1-$case.json"
        fi
        echo "  $case done; load $(load_average)"
    done
}

alternate "$rounds" model_round
python3 benchmarks/compare.py "$out" "$rounds" --metric imagesPerSecond
