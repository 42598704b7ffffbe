"""Filling speed at 256x256 and 1024x1024: a learned any-size model beside the classical fills.

    python benchmarks/inference_speed.py [--model photos] [--sizes 256 1024] [--count 4]

Every method fills the same pictures and masks in one process, one picture at a time
(what `kinpaint inpaint` does): validation photographs of the corpus (`photos:corpus`,
256x256 crops; scaled up for larger sizes, which changes content, not work), with a centre
hole of half the side and with free-form strokes. One untimed fill first per method and
size, so no figure includes building graphs; then the median seconds per picture over
`--count` pictures. The ratio is images/s against scikit-image's biharmonic fill in the
same run. Needs the `bench` extra (scikit-image, OpenCV).
"""

import argparse
import statistics
import time

import numpy as np
from PIL import Image

from kinpaint.baselines import baseline
from kinpaint.evaluation import resolve_method
from kinpaint.data.masks import make_masks
from kinpaint.images import to_model_range

REFERENCE = "biharmonic"


def pictures(size, count, seed=0):
    """`(count, size, size, 3)` in [-1, 1]: corpus validation crops, resized to `size`."""
    from kinpaint.data.builtin import load_builtin

    crops, _ = load_builtin("photos:corpus", "val", count=count, seed=seed, size=256)
    resized = [np.asarray(Image.fromarray(crop).resize((size, size), Image.BICUBIC)) for crop in crops]
    return to_model_range(np.stack(resized))


def seconds_per_picture(inpainter, images, masks):
    inpainter.inpaint(images[:1], masks[:1])  # untimed: graphs, caches
    times = []
    for image, mask in zip(images, masks):
        began = time.perf_counter()
        inpainter.inpaint(image[None], mask[None])
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="photos", help="an any-size model: a preset's name or a .keras file")
    parser.add_argument("--methods", nargs="+", default=["biharmonic", "harmonic", "telea"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[256, 1024])
    parser.add_argument("--masks", nargs="+", default=["centre", "strokes"])
    parser.add_argument("--count", type=int, default=4, help="timed pictures per size and mask")
    args = parser.parse_args(argv)

    model = resolve_method(args.model)
    methods = [(name, baseline(name)) for name in args.methods] + [(model.name, model.inpainter)]
    rows = []
    for size in args.sizes:
        images = pictures(size, args.count)
        for kind in args.masks:
            masks = make_masks(kind, args.count, size, size // 2, seed=0)
            timings = {name: seconds_per_picture(inpainter, images, masks) for name, inpainter in methods}
            for name, seconds in timings.items():
                rows.append((f"{size}x{size}", kind, name, 1 / seconds, timings[REFERENCE] / seconds
                             if REFERENCE in timings else float("nan")))
            print(f"{size}x{size} {kind}: done", flush=True)
    print(f"\n| size | mask | method | images/s | ratio vs {REFERENCE} |\n|---|---|---|--:|--:|")
    for size, kind, name, rate, ratio in rows:
        print(f"| {size} | {kind} | {name} | {rate:.3g} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
