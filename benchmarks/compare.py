# Summarises benchmarks/run.sh, run-models.sh and run-inference.sh output: per case, our median
# figure, the reference's, the median (min..max) of the paired per-round ratios, and the median ratio
# of flops per CPU-second (less sensitive to other processes taking the cores), against the issue's
# targets. With --references A,B each reference kind gets its own line, and a line "best" compares
# each round with the faster of them in that round.
import argparse
import json
import statistics
from pathlib import Path

# Case-name prefix → target ratio; the first matching prefix counts.
TARGETS = [
    ("sgemm", 0.95), ("conv3x3-64-32x32-b64-fwd+bwd", 1.3), ("densenet-bc-layer", 3.0),
    ("densenet-bc-40-12-28x28-b64-train", 3.0), ("densenet-121-32x32-b32-train", 1.5),
    ("densenet-121-155x155-b8-train", 1.3), ("densenet-bc-40-12-28x28-b64-infer", 1.2),
    ("densenet-121-32x32-b32-infer", 1.0), ("densenet-121-155x155-b8-infer", 1.0),
]


def load(directory, kind, round_number):
    """A round's results of one kind: `kind-N.json`, or one `kind-N-case.json` per case."""
    paths = [Path(directory) / f"{kind}-{round_number}.json", *Path(directory).glob(f"{kind}-{round_number}-*.json")]
    return {r["name"]: r for path in paths if path.exists() and path.stat().st_size
            for r in json.loads(path.read_text())}


parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("directory")
parser.add_argument("rounds", type=int)
parser.add_argument("--metric", default="gflops", help="result field to compare (gflops, imagesPerSecond)")
parser.add_argument("--references", help="comma-separated reference kinds compared one by one and as the best "
                    "of them (default: numpy and torch as one reference)")
args = parser.parse_args()
kinds = args.references.split(",") if args.references else None


def round_references(round_number):
    """{label: {case: result}} of one round: one label per reference kind, plus "best" (per case the
    reference with the higher metric) when there are several kinds."""
    if not kinds:
        return {"": {**load(args.directory, "numpy", round_number), **load(args.directory, "torch", round_number)}}
    per_kind = {kind: load(args.directory, kind, round_number) for kind in kinds}
    if len(kinds) > 1:
        best = {}
        for results in per_kind.values():
            for name, result in results.items():
                if name not in best or result[args.metric] > best[name][args.metric]:
                    best[name] = result
        per_kind["best"] = best
    return per_kind


pairs = {}
for round_number in range(1, args.rounds + 1):
    ours = load(args.directory, "ours", round_number)
    for label, references in round_references(round_number).items():
        for name, result in ours.items():
            if kinds and name not in references:
                continue
            entry = pairs.setdefault((name, label), {"ours": [], "reference": [], "ratios": [], "cpuRatios": [],
                                                     "memory": []})
            entry["ours"].append(result[args.metric])
            reference = references.get(name)
            if reference:
                entry["reference"].append(reference[args.metric])
                entry["ratios"].append(result[args.metric] / reference[args.metric])
                entry["cpuRatios"].append(result["gflopsPerCPUSecond"] / reference["gflopsPerCPUSecond"])
            if "peakResidentMiB" in result:
                entry["memory"].append((result["peakResidentMiB"],
                                        reference["peakResidentMiB"] if reference else None))

show_memory = any(entry["memory"] for entry in pairs.values())
print(f"{args.metric}: median over rounds; ratio = ours / the reference run right after it"
      + ("; peak RSS MiB of the last round, ours / reference" if show_memory else ""))
print(f"{'case':<52} {'ours':>8} {'ref':>8} {'ratio':>7}  {'(min..max)':<12}  per-CPU-s ratio  target"
      + ("   peak RSS" if show_memory else ""))
for (name, label), entry in pairs.items():
    target = next((t for prefix, t in TARGETS if name.startswith(prefix)), None)
    shown = f"{name} vs {label}" if label else name
    line = f"{shown:<52} {statistics.median(entry['ours']):8.1f} "
    if entry["ratios"]:
        ratios = entry["ratios"]
        line += (f"{statistics.median(entry['reference']):8.1f} {statistics.median(ratios):7.2f}  "
                 f"{f'({min(ratios):.2f}..{max(ratios):.2f})':<12}  {statistics.median(entry['cpuRatios']):15.2f}  ")
    else:
        line += f"{'-':>8} {'-':>7}  {'':<12}  {'-':>15}  "
    line += f"{'>= ' + str(target) if target else '-':<7}"
    if entry["memory"]:
        ours_memory, reference_memory = entry["memory"][-1]
        line += f"  {ours_memory:6.0f} / {reference_memory:.0f}" if reference_memory else f"  {ours_memory:6.0f}"
    print(line)
