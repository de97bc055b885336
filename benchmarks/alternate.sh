# Sourced by run.sh and run-models.sh: finds or builds tlab, checks for torch, and runs a round
# function alternately `rounds` times, logging the load average, into a fresh results directory.
#   TLAB=path/to/tlab      use this binary instead of building `swift build -c release`
#   TORCH_PYTHON=python    interpreter with torch (default ~/.venvs/torch/bin/python)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
torch_python=${TORCH_PYTHON:-$HOME/.venvs/torch/bin/python}
if [[ -z "${TLAB:-}" ]]; then
    swift build -c release --product tlab
    TLAB="$(swift build -c release --show-bin-path)/tlab"
fi
have_torch=1
"$torch_python" -c 'import torch' 2>/dev/null || { have_torch=0; echo "no torch in $torch_python: PyTorch cases skipped"; }
out=$(mktemp -d)

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# Runs PyTorch as every reference here runs it: its OpenMP threads wait passively, since spinning
# ones collapse when another process holds a core.
torch_reference() {
    OMP_WAIT_POLICY=PASSIVE "$torch_python" "$@"
}

# alternate ROUNDS FUNCTION: calls FUNCTION ROUND for ROUND in 1..ROUNDS; FUNCTION writes
# $out/ours-ROUND[-case].json and the references' $out/{numpy,torch}-ROUND[-case].json.
alternate() {
    local rounds=$1 round_function=$2
    echo "results in $out; load before: $(load_average)"
    for round in $(seq 1 "$rounds"); do
        "$round_function" "$round"
        echo "round $round/$rounds done; load $(load_average)"
    done
}
