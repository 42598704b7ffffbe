"""Speed and fill of the harmonic start (`kinpaint.poisson.harmonic_fill`, issue 33) against
the conjugate-gradient solver over the whole picture it replaced.

    python benchmarks/harmonic_start.py

Both solvers fill the same validation photographs of the corpus (`photos:corpus`, 64x64 and
256x256 crops; the 256x256 crops scaled up to 1024x1024, which changes content, not work)
with the iterations `FourierInpainter` gives them (`max(60, side)`), each inside one
`tf.function`, one untimed call first. For every case: seconds per call of each, the speed
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

# (picture side, pictures per call, mask kind, hole side)
CASES = ((64, 32, "centre", 32), (256, 4, "centre", 128), (1024, 1, "centre", 512), (1024, 1, "strokes", 512))


def photographs(size, count):
    """`(count, size, size, 3)` in [-1, 1]: corpus validation crops, scaled up past 256."""
    crops, _ = load_builtin("photos:corpus", "val", count=count, seed=0, size=min(size, 256))
    if size > 256:
        crops = np.stack([np.asarray(Image.fromarray(crop).resize((size, size), Image.BICUBIC)) for crop in crops])
    return to_model_range(crops).astype(np.float32)


def hole_psnr(images, fills, masks):
    """Mean over the batch of each picture's PSNR over its hole, pixels on the [0, 1] scale."""
    hole = np.broadcast_to(masks < 0.5, images.shape)
    errors = [np.mean(((image - fill) / 2.0)[inside] ** 2) for image, fill, inside in zip(images, fills, hole)]
    return float(np.mean([-10.0 * np.log10(max(error, 1e-12)) for error in errors]))


def timed(fill, images, masks):
    """`(seconds of one call, the fill)`, after one untimed call."""
    iterations = tf.constant(max(60, images.shape[1]))
    fill(images, masks, iterations)
    start = time.perf_counter()
    filled = fill(images, masks, iterations).numpy()
    return time.perf_counter() - start, filled


def main():
    flags = subprocess.run("grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u",
                           shell=True, capture_output=True, text=True).stdout.split()
    print(f"CPU flags: {' '.join(flags) or 'none of avx2 avx512f avx512_bf16 amx_bf16'}; "
          f"{len(tf.config.list_physical_devices('CPU'))} CPU device, {tf.config.threading.get_inter_op_parallelism_threads()} "
          f"inter-op threads (0 = all cores)")
    old = tf.function(lambda images, masks, iterations: poisson._conjugate_gradient_fill(images, masks, iterations))
    new = tf.function(lambda images, masks, iterations: poisson.harmonic_fill(images, masks, iterations))
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
