"""Folder throughput of `kinpaint inpaint --images DIR --out DIR`: pictures filled per second.

    python benchmarks/folder_throughput.py [--pictures 100] [--side 256] [--batch-sizes 1 8]

Writes `--pictures` PNGs of `--side` x `--side` (smooth colour fields with noise, seeded) and
one free-form stroke mask a picture, then times `kinpaint.folders.inpaint_folder` from the
first picture read to the last PNG written (decoding, masks, the model, encoding), into a
fresh output folder each time, after a warm-up run on a few pictures (the model's graph is
traced there, once a process). Models:

- `tiny`: a `FourierInpainter(width=4, blocks=1)`, the model the tests use: the cost of
  the harmonic fill, the files and kinpaint's own code;
- `default size`: an untrained `FourierInpainter()` (width 32, 4 Fourier blocks), the
  architecture and cost of a trained model of that size;
- `pretrained`: the shipped `photos` model, when `kinpaint/weights/photos.keras` exists.

A second table splits one picture's fill: the Fourier inpainter's harmonic start
(`kinpaint.poisson.harmonic_fill`, as many iterations as `FourierInpainter` runs) against the
whole `FourierInpainter().inpaint`, per picture, at each batch size.
"""

import argparse
import os
import shutil
import tempfile
import time

import numpy as np
from PIL import Image


def write_folder(root, count, side, seed=0):
    """`count` pictures and as many stroke masks (white = fill) under `root`."""
    from kinpaint.data.masks import stroke_masks

    rng = np.random.default_rng(seed)
    pictures, masks = os.path.join(root, "pictures"), os.path.join(root, "masks")
    os.makedirs(pictures), os.makedirs(masks)
    y, x = np.mgrid[0:side, 0:side] / side
    holes = stroke_masks(count, side, width=(side // 32, side // 10), seed=seed)[..., 0] < 0.5
    for index in range(count):
        a, b, c = rng.uniform(0, 255, 3)
        field = np.stack([a * x + (255 - a) * y, b * (1 - x * y), c * np.sin(3 * x + index) ** 2], -1)
        pixels = np.clip(field + rng.normal(0, 8, field.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(pictures, f"{index:04d}.png"))
        Image.fromarray(np.where(holes[index], 255, 0).astype(np.uint8)).save(os.path.join(masks, f"{index:04d}.png"))
    return pictures, masks


def models():
    from kinpaint.models import FourierInpainter
    from kinpaint.pretrained_models import pretrained

    found = {"tiny": FourierInpainter(width=4, blocks=1, precision="float32"), "default size": FourierInpainter()}
    if "photos" in pretrained():
        found["pretrained"] = pretrained("photos")
    return found


def fill_parts(side, batch_sizes, repeats=3, seed=0):
    """`[(batch size, harmonic fill s/picture, default-size inpaint s/picture)]`, medians of `repeats`."""
    import statistics

    import tensorflow as tf

    from kinpaint.data.masks import stroke_masks
    from kinpaint.models import FourierInpainter
    from kinpaint.poisson import harmonic_fill

    model = FourierInpainter()
    harmonic = tf.function(lambda images, masks: harmonic_fill(images, masks, max_iterations=max(60, side)))
    rows = []
    for batch_size in batch_sizes:
        images = np.random.default_rng(seed).uniform(-1, 1, (batch_size, side, side, 3)).astype("float32")
        masks = stroke_masks(batch_size, side, width=(side // 32, side // 10), seed=seed)
        times = {}
        for name, fill in (("harmonic", lambda: np.asarray(harmonic(images, masks))),
                           ("inpaint", lambda: model.inpaint(images, masks))):
            fill()  # traced here
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                fill()
                runs.append((time.perf_counter() - started) / batch_size)
            times[name] = statistics.median(runs)
        rows.append((batch_size, times["harmonic"], times["inpaint"]))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", type=int, default=100)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--warm-up", type=int, default=8, help="pictures filled before timing")
    arguments = parser.parse_args()

    from kinpaint.folders import inpaint_folder

    root = tempfile.mkdtemp(prefix="kinpaint-folder-throughput-")
    try:
        pictures, masks = write_folder(root, arguments.pictures, arguments.side)
        warm_pictures, warm_masks = write_folder(os.path.join(root, "warm"), arguments.warm_up, arguments.side, 1)
        rows = []
        for name, model in models().items():
            for batch_size in arguments.batch_sizes:
                inpaint_folder(model, warm_pictures, os.path.join(root, "warm", f"out-{name}-{batch_size}"),
                               masks=warm_masks, batch_size=batch_size, log=lambda text: None)
                out = os.path.join(root, f"out-{name}-{batch_size}")
                started = time.perf_counter()
                summary = inpaint_folder(model, pictures, out, masks=masks, batch_size=batch_size,
                                         log=lambda text: None)
                seconds = time.perf_counter() - started
                assert summary.ok and len(summary.written) == arguments.pictures, summary.text()
                rows.append((name, batch_size, arguments.pictures, seconds, arguments.pictures / seconds))
                print(f"{name}, batch {batch_size}: {arguments.pictures / seconds:.2f} pictures/s", flush=True)
    finally:
        shutil.rmtree(root)
    parts = fill_parts(arguments.side, arguments.batch_sizes)
    print(f"\n{arguments.pictures} pictures of {arguments.side}x{arguments.side}, one free-form mask each, "
          f"{os.cpu_count()} CPU core(s)\n")
    print("| model | batch size | pictures | seconds | pictures/s |")
    print("| --- | --- | --- | --- | --- |")
    for name, batch_size, count, seconds, rate in rows:
        print(f"| {name} | {batch_size} | {count} | {seconds:.1f} | {rate:.2f} |")
    print(f"\none {arguments.side}x{arguments.side} picture's fill, median of 3, seconds a picture\n")
    print("| batch size | harmonic start | default-size FourierInpainter.inpaint (harmonic start included) |")
    print("| --- | --- | --- |")
    for batch_size, harmonic, inpaint in parts:
        print(f"| {batch_size} | {harmonic:.3f} | {inpaint:.3f} |")


if __name__ == "__main__":
    main()
