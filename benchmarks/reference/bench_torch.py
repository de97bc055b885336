# PyTorch reference for `tlab bench kernels`: the conv 3x3 and DenseNet-BC layer cases, same shapes.
# Run with OMP_WAIT_POLICY=PASSIVE (benchmarks/run.sh does): spinning OpenMP threads collapse when
# another process holds a core.
import argparse

import torch
from torch import nn

from timing import measure, report

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
results = []

# Conv 3x3 64→64, pad 1, 32x32, batch 64, no bias.
conv = nn.Conv2d(64, 64, 3, padding=1, bias=False)
x = torch.rand(64, 64, 32, 32) * 2 - 1
dy = torch.rand(64, 64, 32, 32) * 2 - 1
conv_flops = 2.0 * 64 * 64 * 32 * 32 * 64 * 9


def conv_forward():
    with torch.no_grad():
        conv(x)


x_train = x.clone().requires_grad_()


def conv_train():
    conv(x_train).backward(dy)


results.append(measure("conv3x3-64-32x32-b64-fwd", conv_flops, 64, conv_forward, args.runs, args.threads))
results.append(measure("conv3x3-64-32x32-b64-fwd+bwd", 3 * conv_flops, 64, conv_train, args.runs, args.threads))

# DenseNet-BC layer: BN-ReLU-conv1x1(60→48)-BN-ReLU-conv3x3(48→12), concatenated to its input.
layer = nn.Sequential(
    nn.BatchNorm2d(60), nn.ReLU(), nn.Conv2d(60, 48, 1, bias=False),
    nn.BatchNorm2d(48), nn.ReLU(), nn.Conv2d(48, 12, 3, padding=1, bias=False),
).train()
block_input = torch.randn(64, 60, 28, 28).requires_grad_()
block_gradient = torch.rand(64, 72, 28, 28) - 0.5
layer_flops = 3 * 2.0 * 64 * 28 * 28 * (48 * 60 + 12 * 48 * 9)


def densenet_layer():
    torch.cat([block_input, layer(block_input)], 1).backward(block_gradient)


results.append(measure("densenet-bc-layer-60+12-28x28-b64-fwd+bwd", layer_flops, 64, densenet_layer, args.runs,
                       args.threads))
report(results, args.json)
