#!/usr/bin/env python3
"""The cost model of docs/distributed.md: per training step of a sharded stage over N MPI ranks (one per
machine, `shards` = N), the bytes each rank receives, the compute, and the predicted speed-up, from the
models' layer tables (`tlab model summary --json`) and the measured single-machine training speed.

    benchmarks/distributed_cost_model.py [path/to/tlab]     (default .build/release/tlab)

Model, per step of batch B on N machines (each rank all-gathers every other rank's per-shard blocks,
and nothing overlaps compute):
    compute   B / (N * r)                              r: images/s of one machine (measured)
    bytes     (N - 1) * (4 P + 32 C)                   P trainable parameters (float32 gradients),
                                                       C BatchNorm channels (forward and backward sums,
                                                       two float64 each)
    latency   (2 L + 2) * (a + (N - 1) * o)            L BatchNorm layers: one exchange forward and one
                                                       backward each, one for the gradients, one for
                                                       the loss sums;
                                                       a per round, o per message
    T(N) = compute + bytes / bandwidth + latency;  speed-up = T(1) / T(N).
The second figure of each cell is for gradients combined by a shard-ordered reduce-scatter instead (rank j
sums slice j of every shard's gradient in shard order, then the slices are all-gathered: the same bits,
2 (N - 1) / N * 4 P bytes received), which tlab does not do yet.
"""
import json
import subprocess
import sys

TLAB = sys.argv[1] if len(sys.argv) > 1 else ".build/release/tlab"
BATCH = 128                      # the study's batch (pipelines/cifar10-densenet121.yaml)
LINKS = {"1 Gbit/s": (125e6, 50e-6), "10 Gbit/s": (1250e6, 20e-6)}   # bytes/s, latency a per round
PER_MESSAGE = 2e-6               # o: software cost per message and peer
MACHINES = [1, 2, 4, 8, 16, 32]

# Training images/s of one 2-core machine (benchmarks/results/2026-11-29-models.md, 2 threads);
# DenseNet-BC-40 at 3x32x32 scaled from its 1x28x28 figure by multiply-adds.
CASES = [
    ("DenseNet-BC-40 32x32", ["--depth", "40", "--growth", "12", "--input", "3x32x32"], ("scale", 300.8, 55.1e6)),
    ("DenseNet-121 32x32", ["--model", "densenet-121", "--input", "3x32x32"], ("measured", 172.7)),
    ("DenseNet-BC-40 155x155", ["--depth", "40", "--growth", "12", "--input", "3x155x155"], ("scale", 300.8, 55.1e6)),
    ("DenseNet-121 155x155", ["--model", "densenet-121", "--input", "3x155x155"], ("measured", 16.0)),
]


def summary(arguments):
    out = subprocess.run([TLAB, "model", "summary", *arguments, "--classes", "10", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def figures(table):
    macs = 0
    bn_layers = bn_channels = 0
    for layer in table["layers"]:
        kind = layer["type"].split()[0]
        shape = layer["outputShape"]
        if kind == "Conv2D":
            macs += layer["parameters"] * shape[1] * shape[2]
        elif kind == "Dense":
            macs += layer["parameters"]
        elif kind == "BatchNorm":
            bn_layers += 1
            bn_channels += shape[0]
    return table["trainable"], bn_layers, bn_channels, macs


def step_seconds(n, rate, params, bn_layers, bn_channels, bandwidth, latency, reduce_scatter=False):
    compute = BATCH / (n * rate)
    gradients = 2 * (n - 1) / n * 4 * params if reduce_scatter else (n - 1) * 4 * params
    exchanged = gradients + (n - 1) * 32 * bn_channels
    rounds = (2 * bn_layers + 2 + reduce_scatter) * (latency + (n - 1) * PER_MESSAGE) if n > 1 else 0
    return compute + exchanged / bandwidth + rounds, exchanged


def main():
    for name, arguments, speed in CASES:
        params, bn_layers, bn_channels, macs = figures(summary(arguments))
        rate = speed[1] if speed[0] == "measured" else speed[1] * speed[2] / macs
        print(f"## {name}: {params:,} trainable parameters, {bn_layers} BatchNorm layers ({bn_channels:,} channels), "
              f"{macs / 1e6:,.1f} M multiply-adds per image, {rate:,.1f} training images/s on one machine")
        print(f"step of {BATCH} images on one machine: {BATCH / rate:.3f} s; per step each rank receives "
              f"(N-1) x {(4 * params + 32 * bn_channels) / 1e6:.2f} MB in {2 * bn_layers + 2} exchanges\n")
        print("| machines | " + " | ".join(f"{link}: step s, speed-up (reduce-scatter)" for link in LINKS) + " |")
        print("|--:|" + "--:|" * len(LINKS))
        single = BATCH / rate
        for n in MACHINES:
            cells = []
            for bandwidth, latency in LINKS.values():
                seconds, _ = step_seconds(n, rate, params, bn_layers, bn_channels, bandwidth, latency)
                scattered, _ = step_seconds(n, rate, params, bn_layers, bn_channels, bandwidth, latency, True)
                cells.append(f"{seconds:.3f} s, {single / seconds:.2f}x ({single / scattered:.2f}x)")
            print(f"| {n} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
