"""The reference for `tlab bench images`: Pillow (or Pillow-SIMD) decoding, and decoding and resizing,
the JPEG and PNG files of a folder on one thread, timed the same way (files in memory, one untimed
pass, the median of --runs passes). Resizing is Image.resize(size, BILINEAR, box) with the centre
crop box preprocess uses: the same filter, so --compare can check our output byte for byte.

    python bench_pillow_images.py FOLDER [--side 224] [--mode crop] [--runs 5] [--json] [--compare DUMP]
"""
import argparse
import io
import json
import os
import time

from PIL import Image, features

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("folder")
parser.add_argument("--side", type=int, default=224)
parser.add_argument("--mode", choices=["crop", "stretch"], default="crop")
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--json", action="store_true")
parser.add_argument("--compare", metavar="DUMP", help="folder of `tlab bench images --dump` output to compare with")
args = parser.parse_args()


def box(width, height):
    """The source box that becomes the square: ResizeMode.box in Swift, as float32 values."""
    if args.mode == "stretch":
        return (0.0, 0.0, float(width), float(height))
    side = float(min(width, height))
    x0, y0 = (width - side) / 2, (height - side) / 2
    return (x0, y0, x0 + side, y0 + side)


def decode(data):
    image = Image.open(io.BytesIO(data))
    return image.convert("RGB")  # loads the pixels; drops alpha, expands grayscale and palettes


def resize(image):
    return image.resize((args.side, args.side), Image.BILINEAR, box=box(*image.size))


def timed(body):
    body()
    seconds = []
    for _ in range(max(args.runs, 1)):
        start = time.perf_counter()
        body()
        seconds.append(time.perf_counter() - start)
    return sorted(seconds)


names = sorted(os.listdir(args.folder))
results, compared = [], {}
for fmt, extensions in (("jpeg", (".jpg", ".jpeg")), ("png", (".png",))):
    files = [n for n in names if n.lower().endswith(extensions)]
    if not files:
        continue
    contents = [open(os.path.join(args.folder, n), "rb").read() for n in files]
    pixels = sum(decode(c).size[0] * decode(c).size[1] for c in contents)
    cases = (("decode", lambda: [decode(c) for c in contents]),
             (f"decode+resize-{args.side}-{args.mode}", lambda: [resize(decode(c)) for c in contents]))
    for operation, body in cases:
        seconds = timed(body)
        median = seconds[len(seconds) // 2]
        results.append({"name": f"{fmt}-{operation}", "images": len(files), "megapixels": pixels / 1e6,
                        "imagesPerSecond": len(files) / median, "megapixelsPerSecond": pixels / 1e6 / median,
                        "seconds": [median, seconds[0], seconds[-1]]})
    if args.compare:
        identical, largest = 0, 0
        for name, data in zip(files, contents):
            ours = open(os.path.join(args.compare, name + ".rgb"), "rb").read()
            theirs = resize(decode(data)).tobytes()
            identical += ours == theirs
            largest = max(largest, max(abs(a - b) for a, b in zip(ours, theirs)))
        compared[fmt] = {"identical": identical, "files": len(files), "largestDifference": largest}

version = f"Pillow {Image.__version__}" + (" (SIMD)" if "post" in Image.__version__ else "")
if args.json:
    print(json.dumps(results if not args.compare else {"results": results, "compared": compared}))
else:
    print(f"{version}, libjpeg-turbo {features.version('libjpeg_turbo')}, zlib {features.version('zlib')}, one thread")
    for r in results:
        print(f"{r['name']:<34} {r['images']:6d} {r['megapixels']:6.1f} {r['imagesPerSecond']:10.1f} "
              f"{r['megapixelsPerSecond']:7.1f} {r['seconds'][0] * 1000:11.1f}")
    for fmt, c in compared.items():
        print(f"{fmt}: {c['identical']} of {c['files']} resized images byte-identical to ours; "
              f"largest difference {c['largestDifference']}")
