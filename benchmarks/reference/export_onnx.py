# Exports the models of bench_torch_models.py to ONNX for the ONNX Runtime and OpenVINO references:
# torchvision's modules in eval mode through torch.onnx.export, fixed batch, one file per case.
# Run with the torch venv: python export_onnx.py --out DIR [--case TEXT]
import argparse
from pathlib import Path

import torch

import json

from bench_torch_models import CASES, forward_multiply_adds

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--out", required=True, help="directory for <case>.onnx")
parser.add_argument("--case", help="only cases whose name contains this text: " + ", ".join(CASES))
args = parser.parse_args()
selected = [name for name in CASES if args.case is None or args.case in name]
if not selected:
    parser.error(f"no case matches --case {args.case}; cases: {', '.join(CASES)}")
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
for name in selected:
    build, image_shape, batch = CASES[name]
    path = out / f"{name}.onnx"
    if path.exists():
        continue
    model = build().eval()
    x = torch.rand(batch, *image_shape) * 2 - 1
    # Flops as `tlab bench models` counts them, for the runtimes' GFLOP/s.
    flops = 2.0 * forward_multiply_adds(model, x) * batch
    (out / f"{name}.json").write_text(json.dumps({"batch": batch, "forwardFlops": flops}))
    with torch.no_grad():
        torch.onnx.export(model, (x,), str(path), input_names=["input"], output_names=["logits"])
    print(f"{name}: {path}")
