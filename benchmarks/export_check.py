"""Exported fill against the Keras model: the largest difference per format and picture size.

    python benchmarks/export_check.py [--model M.keras | photos ...] [--sizes 64 256] [--count 4]

For each model (an untrained default-size FourierInpainter and a 64x64 caption-vector
ContextEncoder with harmonic prefill, both with seeded random weights so that every layer
matters; the pretrained `photos` where this installation has it; each --model), each format
is exported (a FourierInpainter for any size, a ContextEncoder at its size) into a temporary
folder, loaded with its own runtime (TensorFlow, the LiteRT / TFLite interpreter,
onnxruntime), and fills `--count` synthetic pictures (smooth colour fields with grain) with
stroke holes at each size. `max |diff|` is the largest difference from `model.inpaint` of the
float32 model that was exported (a mixed-precision model is exported in float32; the
`vs own precision` column compares with the model as loaded), `known exact` whether every
known pixel came back unchanged, `export` the seconds to write the file, `fill` the
seconds of one fill of the batch after a first call. Prints a Markdown table.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from kinpaint.cli.arguments import positive_int
from kinpaint.export import FORMATS, TOLERANCES, export_model, float32_model, load_exported

SUFFIX = {"saved_model": "", "tflite": ".tflite", "onnx": ".onnx"}


def pictures(count, side, seed=0):
    """`count` smooth colour fields with grain, in [-1, 1], and stroke masks (1 = known)."""
    from kinpaint.data.masks import stroke_masks

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    images = []
    for index in range(count):
        a, b, c = rng.uniform(0, 1, 3)
        field = np.stack([a * x + (1 - a) * y, b * (1 - x * y), c * np.sin(3 * x + index) ** 2], -1)
        images.append(np.clip(field * 2 - 1 + rng.normal(0, 0.06, field.shape), -1, 1))
    masks = stroke_masks(count, side, width=(max(1, side // 32), max(2, side // 10)), seed=seed)
    return np.asarray(images, np.float32), masks


def random_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    for variable in model.generator.weights:
        if "moving_variance" not in variable.path:
            variable.assign(rng.normal(0.0, 0.05, variable.shape).astype("float32"))
    return model


def models(extra):
    from kinpaint.models import ContextEncoder, FourierInpainter
    from kinpaint.pretrained_models import pretrained, resolve_model

    found = {"FourierInpainter (random weights)": random_weights(FourierInpainter(precision="float32")),
             "ContextEncoder 64, captions (random weights)": random_weights(ContextEncoder(
                 image_size=64, caption_dim=8, prefill="harmonic", contrast_normalized=True, precision="float32"))}
    if "photos" in pretrained():
        found["photos (pretrained)"] = pretrained("photos")
    for spec in extra:
        found[str(spec)] = resolve_model(spec)
    return found


def check(name, model, formats, sizes, count, folder):
    """Rows of the table for one model."""
    exported_model = float32_model(model)
    fixed = getattr(model, "fills_any_size", False) is not True
    rows = []
    for format in formats:
        out = os.path.join(folder, f"{len(os.listdir(folder))}{SUFFIX[format]}")
        start = time.perf_counter()
        try:
            export_model(exported_model, out, format)
        except Exception as error:  # noqa: BLE001  (a row saying why, not a stopped benchmark)
            rows.append(f"| {name} | {format} | - | export failed: {type(error).__name__}: {error} | | | | |")
            continue
        export_seconds = time.perf_counter() - start
        exported = load_exported(out)
        for side in sizes:
            if fixed and side != model.image_size:
                rows.append(f"| {name} | {format} | {side}x{side} | fixed {model.image_size}x{model.image_size} "
                            f"graph | | | | |")
                continue
            images, masks = pictures(count, side)
            captions = None
            if exported.caption_dim:
                captions = np.random.default_rng(1).normal(0, 1, (count, exported.caption_dim)).astype("float32")
            expected = exported_model.inpaint(images, masks, captions)
            own = model.inpaint(images, masks, captions) if exported_model is not model else expected
            exported.inpaint(images, masks, captions)  # the first call sets the runtime up
            start = time.perf_counter()
            filled = exported.inpaint(images, masks, captions)
            fill_seconds = time.perf_counter() - start
            known = masks[..., 0] == 1
            difference = np.abs(filled - expected).max()
            rows.append(f"| {name} | {format} | {side}x{side} | {difference:.2e} "
                        f"{'ok' if difference <= TOLERANCES[format] else 'OVER'} {TOLERANCES[format]:g} "
                        f"| {np.abs(filled - own).max():.2e} | {bool(np.array_equal(filled[known], images[known]))} "
                        f"| {export_seconds:.1f} | {fill_seconds:.3f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], help="a .keras file or a pretrained name (repeat)")
    parser.add_argument("--sizes", nargs="+", type=positive_int, default=[64, 256], help="picture sides")
    parser.add_argument("--count", type=positive_int, default=4, help="pictures per size")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    args = parser.parse_args(argv)
    import tensorflow as tf

    rows = ["| model | format | picture | max abs diff (tolerance) | vs own precision | known exact | export s "
            "| fill s |", "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="kinpaint-export-check-") as folder:
        for name, model in models(args.model).items():
            rows += check(name, model, args.formats, args.sizes, args.count, folder)
    print(f"TensorFlow {tf.__version__}; {args.count} pictures per size; differences on values in [-1, 1]\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
