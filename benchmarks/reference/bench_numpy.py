# SGEMM reference for `tlab bench kernels`: numpy's matmul (OpenBLAS) on the same n×n float32 cases.
# Thread count comes from OPENBLAS_NUM_THREADS (benchmarks/run.sh sets it).
import argparse
import os

import numpy as np

from timing import measure, report

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()

threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))
rng = np.random.default_rng(0)
results = []
for n in (256, 512, 1024, 2048):
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    c = np.empty((n, n), dtype=np.float32)
    results.append(measure(f"sgemm-{n}", 2.0 * n ** 3, None, lambda: np.matmul(a, b, out=c), args.runs, threads))
report(results, args.json)
