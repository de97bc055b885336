# OpenVINO reference for the inference cases of `tlab bench models`: the ONNX model export_onnx.py
# wrote, compiled for the CPU with `threads` inference threads and the latency hint (one stream: one
# batch at a time, as ours runs), synchronous requests; the same timing and JSON fields.
import argparse
import json
import resource
from pathlib import Path

import numpy as np
import openvino as ov

from timing import measure, report

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--models", required=True, help="directory of <case>.onnx (export_onnx.py)")
parser.add_argument("--case", required=True, help="case name, e.g. densenet-121-32x32-b32")
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()

core = ov.Core()
compiled = core.compile_model(str(Path(args.models) / f"{args.case}.onnx"), "CPU", {
    "INFERENCE_NUM_THREADS": args.threads, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
request = compiled.create_infer_request()
shape = list(compiled.input(0).shape)
x = (np.random.default_rng(0).random(shape, dtype=np.float32) * 2 - 1).astype(np.float32)
batch = shape[0]


def infer():
    request.infer({0: x})


flops = json.loads((Path(args.models) / f"{args.case}.json").read_text())["forwardFlops"]
result = measure(f"{args.case}-infer", flops, batch, infer, args.runs, args.threads, min_seconds=0.5,
                 min_repetitions=3)
result.update(batch=batch, runtime=f"openvino {ov.__version__}",
              peakResidentMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
report([result], args.json)
