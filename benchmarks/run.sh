#!/usr/bin/env bash
# Runs `tlab bench kernels` alternately with the numpy (OpenBLAS) and PyTorch references, then prints
# per case the median of the paired ratios (ours ÷ the reference run right after it) and their spread.
# Usage: benchmarks/run.sh [rounds=5] [threads=2]   (TLAB, TORCH_PYTHON: see alternate.sh)
rounds=${1:-5}
threads=${2:-2}
source "$(dirname "$0")/alternate.sh"

kernel_round() {
    "$TLAB" bench kernels --runs 3 --threads "$threads" --json > "$out/ours-$1.json"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
        python3 benchmarks/reference/bench_numpy.py --runs 3 --json > "$out/numpy-$1.json"
    if (( have_torch )); then
        torch_reference benchmarks/reference/bench_torch.py --runs 3 --threads "$threads" --json > "$out/torch-$1.json"
    fi
}

alternate "$rounds" kernel_round
python3 benchmarks/compare.py "$out" "$rounds"
