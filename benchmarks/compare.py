# Summarises benchmarks/run.sh output: per case, our median GFLOP/s, the reference's, the median
# (min..max) of the paired per-round ratios, and the median ratio of flops per CPU-second (less
# sensitive to other processes taking the cores), against the issue's targets.
import json
import statistics
import sys
from pathlib import Path

TARGETS = {"sgemm": 0.95, "conv3x3": 1.3, "densenet": 3.0}


def load(directory, kind, round_number):
    path = Path(directory) / f"{kind}-{round_number}.json"
    return {r["name"]: r for r in json.loads(path.read_text())} if path.exists() and path.stat().st_size else {}


directory, rounds = sys.argv[1], int(sys.argv[2])
pairs = {}
for round_number in range(1, rounds + 1):
    ours = load(directory, "ours", round_number)
    references = {**load(directory, "numpy", round_number), **load(directory, "torch", round_number)}
    for name, result in ours.items():
        entry = pairs.setdefault(name, {"ours": [], "reference": [], "ratios": [], "cpuRatios": []})
        entry["ours"].append(result["gflops"])
        if name in references:
            entry["reference"].append(references[name]["gflops"])
            entry["ratios"].append(result["gflops"] / references[name]["gflops"])
            entry["cpuRatios"].append(result["gflopsPerCPUSecond"] / references[name]["gflopsPerCPUSecond"])

print(f"{'case':<42} {'ours':>8} {'ref':>8} {'ratio':>7}  (min..max)  per-CPU-s ratio  target")
for name, entry in pairs.items():
    target = next((t for prefix, t in TARGETS.items() if name.startswith(prefix)), None)
    if entry["ratios"]:
        ratios = entry["ratios"]
        print(f"{name:<42} {statistics.median(entry['ours']):8.1f} {statistics.median(entry['reference']):8.1f} "
              f"{statistics.median(ratios):7.2f}  ({min(ratios):.2f}..{max(ratios):.2f})  "
              f"{statistics.median(entry['cpuRatios']):6.2f}  >= {target}")
    else:
        print(f"{name:<42} {statistics.median(entry['ours']):8.1f} {'-':>8} {'-':>7}")
