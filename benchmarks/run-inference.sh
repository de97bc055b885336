#!/usr/bin/env bash
# Runs the inference cases of `tlab bench models` alternately with ONNX Runtime and OpenVINO on the
# same torchvision models exported with torch.onnx.export, each case in its own process, the two
# references right after ours, then prints per case the median of the paired images/s ratios against
# each runtime and against the faster of the two in each round.
# Usage: benchmarks/run-inference.sh [rounds=5] [threads=2] [runs=3]
#   TLAB: see alternate.sh; TORCH_PYTHON exports the models (once, into MODELS, default
#   ~/.cache/tlab-bench/onnx); ORT_PYTHON, OPENVINO_PYTHON default to ~/.venvs/{ort,openvino}/bin/python.
rounds=${1:-5}
threads=${2:-2}
runs=${3:-3}
source "$(dirname "$0")/alternate.sh"
ort_python=${ORT_PYTHON:-$HOME/.venvs/ort/bin/python}
openvino_python=${OPENVINO_PYTHON:-$HOME/.venvs/openvino/bin/python}
models=${MODELS:-$HOME/.cache/tlab-bench/onnx}
cases=(densenet-bc-40-12-28x28-b64 densenet-121-32x32-b32 densenet-121-155x155-b8)

(( have_torch )) || { echo "run-inference.sh: torch is needed to export the models" >&2; exit 1; }
"$ort_python" -c 'import onnxruntime' || { echo "no onnxruntime in $ort_python" >&2; exit 1; }
"$openvino_python" -c 'import openvino' || { echo "no openvino in $openvino_python" >&2; exit 1; }
"$torch_python" benchmarks/reference/export_onnx.py --out "$models"

inference_round() {
    for case in "${cases[@]}"; do
        "$TLAB" bench models --case "$case" --mode infer --runs "$runs" --threads "$threads" --json \
            > "$out/ours-$1-$case.json"
        "$ort_python" benchmarks/reference/bench_onnxruntime.py --models "$models" --case "$case" \
            --runs "$runs" --threads "$threads" --json > "$out/onnxruntime-$1-$case.json"
        "$openvino_python" benchmarks/reference/bench_openvino.py --models "$models" --case "$case" \
            --runs "$runs" --threads "$threads" --json > "$out/openvino-$1-$case.json"
        echo "  $case done; load $(load_average)"
    done
}

alternate "$rounds" inference_round
python3 benchmarks/compare.py "$out" "$rounds" --metric imagesPerSecond --references onnxruntime,openvino
