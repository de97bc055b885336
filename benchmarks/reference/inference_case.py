# What the ONNX runtimes' inference references share: the command line, the model file and its
# FLOP count (export_onnx.py), a fixed random input, timing as `tlab bench models` does, and the
# JSON fields it prints. Each runtime's script says only how it loads and runs the model.
import argparse
import json
import resource
from pathlib import Path

import numpy as np

from timing import measure, report


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models", required=True, help="directory of <case>.onnx (export_onnx.py)")
    parser.add_argument("--case", required=True, help="case name, e.g. densenet-121-32x32-b32")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.model = Path(args.models) / f"{args.case}.onnx"
    return args


def time_inference(args, runtime, shape, infer):
    """Times `infer(x)` on one fixed input of `shape` in [-1, 1) and prints the result."""
    x = (np.random.default_rng(0).random(shape, dtype=np.float32) * 2 - 1).astype(np.float32)
    flops = json.loads((Path(args.models) / f"{args.case}.json").read_text())["forwardFlops"]
    result = measure(f"{args.case}-infer", flops, shape[0], lambda: infer(x), args.runs, args.threads,
                     min_seconds=0.5, min_repetitions=3)
    result.update(batch=shape[0], runtime=runtime,
                  peakResidentMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    report([result], args.json)
