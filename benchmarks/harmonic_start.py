"""Speed and fill of the harmonic start (`kinpaint.poisson.harmonic_fill`, issue 33) against
the solver it replaced: plain conjugate gradients over the whole picture, from a coarse-to-fine
start above 96 pixels (`reference_fill`, kept here as the reference).

    python benchmarks/harmonic_start.py

Both solvers fill the same validation photographs of the corpus (`photos:corpus`, 64x64 and
256x256 crops; the 256x256 crops scaled up to 1024x1024, which changes content, not work)
the reference with the iterations `FourierInpainter` gave it (`max(60, side)`), the new one with
its defaults, each inside one `tf.function`, one untimed call first. For every case: seconds per call of each, the speed
ratio (new images/s over old), and the hole PSNR (dB, pixels in [0, 1]) of each fill against
the true photograph, averaged over the batch, with their difference; the fills must agree
within 0.01 dB. The machine's CPU flags are printed first.
"""

import subprocess
import time

import numpy as np
import tensorflow as tf
from PIL import Image

from kinpaint import poisson
from kinpaint.data.builtin import load_builtin
from kinpaint.data.masks import make_masks
from kinpaint.images import to_model_range
from kinpaint.inpainting import known_mean_colour

# (picture side, pictures per call, mask kind, hole side)
CASES = ((64, 32, "centre", 32), (256, 4, "centre", 128), (256, 4, "strokes", 128), (1024, 1, "centre", 512),
         (1024, 1, "strokes", 512))


def photographs(size, count):
    """`(count, size, size, 3)` in [-1, 1]: corpus validation crops, scaled up past 256."""
    crops, _ = load_builtin("photos:corpus", "val", count=count, seed=0, size=min(size, 256))
    if size > 256:
        crops = np.stack([np.asarray(Image.fromarray(crop).resize((size, size), Image.BICUBIC)) for crop in crops])
    return to_model_range(crops).astype(np.float32)


def reference_fill(images, masks, max_iterations, side=None):
    """`harmonic_fill` as issue 33 found it: `(B, H, W, C)` float32, known pixels exact.
    `side`: the pictures' longer side where their static shape does not say."""
    images, masks = tf.cast(images, tf.float32), tf.cast(masks, tf.float32)
    flat = tf.broadcast_to(known_mean_colour(images, masks), tf.shape(images))
    start = flat
    if (side or max(images.shape[1:3])) > 96:  # the coarse-to-fine start: the fill at half size, recursively, 4 times
        pyramid = [(images, masks)]
        for _ in range(4):
            known = tf.nn.avg_pool2d(pyramid[-1][1], 2, 2, "SAME")
            mean = tf.nn.avg_pool2d(pyramid[-1][0] * pyramid[-1][1], 2, 2, "SAME") / tf.maximum(known, 1e-6)
            pyramid.append((mean, tf.cast(known > 0.5, tf.float32)))
        start = None
        for level_images, level_masks in reversed(pyramid[1:]):
            level_flat = tf.broadcast_to(known_mean_colour(level_images, level_masks), tf.shape(level_images))
            start = level_flat if start is None else tf.image.resize(start, tf.shape(level_images)[1:3])
            start = plain_solve(level_images, level_masks, level_flat, start, max_iterations)
        start = tf.image.resize(start, tf.shape(images)[1:3])
    return plain_solve(images, masks, flat, start, max_iterations)


def plain_solve(images, masks, flat, start, max_iterations, tolerance=1e-4):
    holes = tf.broadcast_to(tf.cast(masks < 0.5, tf.float32), tf.shape(images))
    solved = poisson._solve(images, holes, flat, start, tf.cast(max_iterations, tf.int32), tf.constant(tolerance),
                            levels=0)
    return poisson._known_kept(images, masks, solved, flat)


def hole_psnr(images, fills, masks):
    """Mean over the batch of each picture's PSNR over its hole, pixels on the [0, 1] scale."""
    hole = np.broadcast_to(masks < 0.5, images.shape)
    errors = [np.mean(((image - fill) / 2.0)[inside] ** 2) for image, fill, inside in zip(images, fills, hole)]
    return float(np.mean([-10.0 * np.log10(max(error, 1e-12)) for error in errors]))


def timed(fill, images, masks):
    """`(seconds of one call, the fill)`, after one untimed call."""
    fill(images, masks)
    start = time.perf_counter()
    filled = fill(images, masks).numpy()
    return time.perf_counter() - start, filled


def main():
    flags = subprocess.run("grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u",
                           shell=True, capture_output=True, text=True).stdout.split()
    print(f"CPU flags: {' '.join(flags) or 'none of avx2 avx512f avx512_bf16 amx_bf16'}; "
          f"{len(tf.config.list_physical_devices('CPU'))} CPU device, {tf.config.threading.get_inter_op_parallelism_threads()} "
          f"inter-op threads (0 = all cores)")
    old = tf.function(lambda images, masks: reference_fill(images, masks, max(60, images.shape[1])))
    new = tf.function(poisson.harmonic_fill)
    print("| picture, hole | batch | old s/call | new s/call | speed new/old | old hole dB | new hole dB | dB difference |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for size, count, kind, hole in CASES:
        images = photographs(size, count)
        masks = make_masks(kind, count, size=size, hole=hole, seed=0)
        old_seconds, old_fill = timed(old, images, masks)
        new_seconds, new_fill = timed(new, images, masks)
        old_db, new_db = hole_psnr(images, old_fill, masks), hole_psnr(images, new_fill, masks)
        name = f"{size}x{size}, {'centre ' + str(hole) if kind == 'centre' else kind}"
        print(f"| {name} | {count} | {old_seconds:.3f} | {new_seconds:.3f} | {old_seconds / new_seconds:.2f}x | "
              f"{old_db:.3f} | {new_db:.3f} | {new_db - old_db:+.4f} |", flush=True)


if __name__ == "__main__":
    main()
