# PyTorch reference for `tlab bench models`: the same models, batches and timing, the same JSON fields.
# Run with OMP_WAIT_POLICY=PASSIVE (benchmarks/run-models.sh does): spinning OpenMP threads collapse
# when another process holds a core.
import argparse
import resource

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from timing import measure, report

CLASSES = 10


def densenet_bc_40_12():
    """DenseNet-BC-40-12 as the engine builds it: torchvision's DenseNet (3 blocks of 6 bottleneck
    layers, growth 12, bottleneck 4·12, compression 0.5, 2·12 stem channels) with the ImageNet stem
    (7x7/2 conv, BN, ReLU, max pool) replaced by one 3x3 conv, no bias, for 1-channel 28x28 inputs."""
    model = torchvision.models.DenseNet(growth_rate=12, block_config=(6, 6, 6), num_init_features=24, bn_size=4,
                                        num_classes=CLASSES)
    model.features.conv0 = nn.Conv2d(1, 24, 3, padding=1, bias=False)
    del model.features.norm0, model.features.relu0, model.features.pool0
    return model


CASES = {
    "densenet-bc-40-12-28x28-b64": (densenet_bc_40_12, (1, 28, 28), 64),
    "densenet-121-32x32-b32": (lambda: torchvision.models.densenet121(weights=None, num_classes=CLASSES), (3, 32, 32), 32),
    "densenet-121-155x155-b8": (lambda: torchvision.models.densenet121(weights=None, num_classes=CLASSES),
                                (3, 155, 155), 8),
}


def forward_multiply_adds(model, x):
    """Multiply-adds of one image's forward pass through the convolutions and linear layers (each
    weight used once per output pixel), as `tlab bench models` counts them."""
    total = 0

    def count(module, _, output):
        nonlocal total
        pixels = output.shape[2] * output.shape[3] if output.dim() == 4 else 1
        total += module.weight.numel() * pixels

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(x[:1])
    for hook in hooks:
        hook.remove()
    return total


def measure_case(name, build, image_shape, batch, runs, threads):
    model = build()
    x = torch.rand(batch, *image_shape) * 2 - 1
    labels = torch.randint(0, CLASSES, (batch,))
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    forward_flops = 2.0 * forward_multiply_adds(model, x) * batch
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), labels).backward()
        optimizer.step()

    def infer():
        with torch.no_grad():
            model(x)

    results = []
    for mode, body, flops in [("train", train_step, 3 * forward_flops), ("infer", infer, forward_flops)]:
        model.train(mode == "train")
        result = measure(f"{name}-{mode}", flops, batch, body, runs, threads, min_seconds=0.5, min_repetitions=3)
        result.update(batch=batch, trainableParameters=parameters,
                      peakResidentMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        results.append(result)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--case", help="only cases whose name contains this text: " + ", ".join(CASES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    selected = [name for name in CASES if args.case is None or args.case in name]
    if not selected:
        parser.error(f"no case matches --case {args.case}; cases: {', '.join(CASES)}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = []
    for name in selected:
        build, image_shape, batch = CASES[name]
        results += measure_case(name, build, image_shape, batch, args.runs, args.threads)
        if not args.json:
            print(f"{name}: {results[-1]['trainableParameters']:,} trainable parameters, "
                  f"peak RSS {results[-1]['peakResidentMiB']:.0f} MiB")
    report(results, args.json)


if __name__ == "__main__":
    main()
