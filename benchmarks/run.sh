#!/usr/bin/env bash
# Runs `tlab bench kernels` alternately with the numpy (OpenBLAS) and PyTorch references, then prints
# per case the median of the paired ratios (ours ÷ the reference run right after it) and their spread.
# Usage: benchmarks/run.sh [rounds=5] [threads=2]
#   TLAB=path/to/tlab      use this binary instead of building `swift build -c release`
#   TORCH_PYTHON=python    interpreter with torch (default /work/.venv-torch/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
threads=${2:-2}
torch_python=${TORCH_PYTHON:-/work/.venv-torch/bin/python}
if [[ -z "${TLAB:-}" ]]; then
    swift build -c release --product tlab
    TLAB="$(swift build -c release --show-bin-path)/tlab"
fi
have_torch=1
"$torch_python" -c 'import torch' 2>/dev/null || { have_torch=0; echo "no torch in $torch_python: PyTorch cases skipped"; }

out=$(mktemp -d)
echo "results in $out; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
    "$TLAB" bench kernels --runs 3 --threads "$threads" --json > "$out/ours-$round.json"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
        python3 benchmarks/reference/bench_numpy.py --runs 3 --json > "$out/numpy-$round.json"
    if (( have_torch )); then
        OMP_WAIT_POLICY=PASSIVE "$torch_python" benchmarks/reference/bench_torch.py --runs 3 --threads "$threads" \
            --json > "$out/torch-$round.json"
    fi
    echo "round $round/$rounds done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
python3 benchmarks/compare.py "$out" "$rounds"
