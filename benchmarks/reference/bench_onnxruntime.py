# ONNX Runtime reference for the inference cases of `tlab bench models`: the model export_onnx.py
# wrote, one session with `threads` intra-op threads (inter-op 1, sequential execution, all graph
# optimisations: what a new user gets by setting the thread count), the same timing and JSON fields.
import argparse
import json
import resource
from pathlib import Path

import numpy as np
import onnxruntime as ort

from timing import measure, report

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--models", required=True, help="directory of <case>.onnx (export_onnx.py)")
parser.add_argument("--case", required=True, help="case name, e.g. densenet-121-32x32-b32")
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()

options = ort.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(str(Path(args.models) / f"{args.case}.onnx"), options,
                               providers=["CPUExecutionProvider"])
shape = session.get_inputs()[0].shape
x = (np.random.default_rng(0).random(shape, dtype=np.float32) * 2 - 1).astype(np.float32)
batch = shape[0]


def infer():
    session.run(None, {"input": x})


flops = json.loads((Path(args.models) / f"{args.case}.json").read_text())["forwardFlops"]
result = measure(f"{args.case}-infer", flops, batch, infer, args.runs, args.threads, min_seconds=0.5,
                 min_repetitions=3)
result.update(batch=batch, runtime=f"onnxruntime {ort.__version__}",
              peakResidentMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
report([result], args.json)
