"""Can fine detail copied from a picture's own known pixels make a smooth fill sharper without losing accuracy?

    python benchmarks/experiments/detail_transfer.py runs/corpus256.h5 --split val --count 200 \\
        --reference runs/photos_two_scale.keras@64 --out runs/detail_transfer_val

An experiment, not a kinpaint feature. The model's fill (`--model`, the pretrained one by
default) is kept, and each strength s adds `s` times detail copied from the known pixels
(exemplar-based texture transfer, after Criminisi et al. 2004 and the copying of DeepFill's
contextual attention, Yu et al. 2018): every `--block` pixels, a window of two blocks that
touches the hole takes the fine detail (the picture minus its Gaussian blur of `--band`
pixels) of the known window whose surroundings, blurred at the block's scale, look most
alike; the windows are blended with raised-cosine weights. Every fill is measured by
`kinpaint.evaluation.evaluate` on the same crops and centre holes (report in `--out`), then
the paired gaps against the model's own fill and against `--reference` are printed
(`benchmarks/paired_gaps.py`).
"""

import argparse
import hashlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # benchmarks/, for paired_gaps


def gaussian_blur(images, sigma):
    """`(B, H, W, C)` float32 -> the same, blurred by a Gaussian of `sigma` pixels (edges reflected)."""
    import tensorflow as tf

    radius = max(1, int(round(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = (taps / taps.sum()).astype(np.float32)
    channels = images.shape[-1]
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    rows = tf.constant(np.tile(taps[:, None, None, None], (1, 1, channels, 1)))
    columns = tf.constant(np.tile(taps[None, :, None, None], (1, 1, channels, 1)))
    blurred = tf.nn.depthwise_conv2d(padded, rows, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(blurred, columns, [1, 1, 1, 1], "VALID").numpy()


def window_holes(hole, top, left, size):
    """How many hole pixels each `size` x `size` window at `(top, left)` holds (a summed-area table)."""
    table = np.pad(np.cumsum(np.cumsum(hole, 0), 1), ((1, 0), (1, 0)))
    height, width = hole.shape
    bottom, right = np.clip(top + size, 0, height), np.clip(left + size, 0, width)
    top, left = np.clip(top, 0, height), np.clip(left, 0, width)
    return table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]


def transfer_detail(filled, masks, strength, block=16, band=2.0):
    """Fills `(B, H, W, 3)` in [-1, 1] and masks `(B, H, W, 1)` (1 = known) -> the fills with
    `strength` times detail copied from known cells added in the hole; known pixels kept."""
    if min(filled.shape[1:3]) <= 3 * block:
        raise ValueError(f"pictures of {filled.shape[1]}x{filled.shape[2]} are too small for blocks of {block} pixels "
                         f"(the side must exceed 3 blocks)")
    detail = filled - gaussian_blur(filled, band)
    context = gaussian_blur(filled, block)
    size, margin = 2 * block, int(np.ceil(3 * band))
    ramp = np.sin(np.pi * (np.arange(size) + 0.5) / size) ** 2
    window = np.outer(ramp, ramp)[..., None].astype(np.float32)  # shifted by `block`, the copies sum to 1
    result = filled.copy()
    for index in range(len(filled)):
        hole = (masks[index, ..., 0] < 0.5).astype(np.int64)
        height, width = hole.shape
        centres_y, centres_x = np.meshgrid(np.arange(block, height - block + 1, block),
                                           np.arange(block, width - block + 1, block), indexing="ij")
        tops, lefts = centres_y - block, centres_x - block
        # A source's window, and the blur behind its detail, hold known pixels only; a target's touches the hole.
        source = window_holes(hole, tops - margin, lefts - margin, size + 2 * margin) == 0
        target = window_holes(hole, tops, lefts, size) > 0
        if not source.any() or not target.any():
            continue
        looks = np.concatenate([context[index][np.clip(centres_y + dy, 0, height - 1), np.clip(centres_x + dx, 0, width - 1)]
                                for dy in (-block, 0, block) for dx in (-block, 0, block)], axis=-1)
        sources, targets = np.argwhere(source), np.argwhere(target)
        keys, queries = looks[source], looks[target]
        nearest = np.argmin((keys**2).sum(1)[None] - 2.0 * queries @ keys.T, axis=1)
        added = np.zeros((height, width, 3), np.float32)
        weight = np.zeros((height, width, 1), np.float32)
        for (row, column), (from_row, from_column) in zip(targets, sources[nearest]):
            top, left = tops[row, column], lefts[row, column]
            from_top, from_left = tops[from_row, from_column], lefts[from_row, from_column]
            added[top : top + size, left : left + size] += window * detail[index, from_top : from_top + size,
                                                                           from_left : from_left + size]
            weight[top : top + size, left : left + size] += window**2
        # Unrelated copies averaged with weights summing to 1 lose amplitude where they overlap;
        # the root of the summed squared weights restores it.
        added = np.where(weight > 0, added / np.sqrt(np.maximum(weight, 1e-12)), 0.0)
        result[index] = np.where(masks[index] >= 0.5, filled[index], np.clip(filled[index] + strength * added, -1, 1))
    return result


class DetailTransferFill:
    """An inpainter: `model`'s fill plus copied detail. The fills are shared through `fills`
    (one dict for every strength), so each batch is filled once."""

    def __init__(self, model, strength, block, band, fills):
        self.model, self.strength, self.block, self.band, self.fills = model, strength, block, band, fills

    def inpaint(self, images, masks, captions=None):
        images, masks = np.asarray(images, np.float32), np.asarray(masks, np.float32)
        key = (images.shape, hashlib.sha1(images.tobytes()).hexdigest(), hashlib.sha1(masks.tobytes()).hexdigest())
        if key not in self.fills:
            self.fills[key] = self.model.inpaint(images, masks)
        return transfer_detail(self.fills[key], masks, self.strength, self.block, self.band)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", help="a store of crops of at least 128x128 (kinpaint prepare photos:corpus --size 256)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--model", default="photos", help="a .keras FourierInpainter or a preset's name")
    parser.add_argument("--reference", default=None, help="a further method to measure the gaps against, "
                        "e.g. the stage-1 resize path runs/photos_two_scale.keras@64")
    parser.add_argument("--strengths", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--block", type=int, default=16, help="side of the cells matched and copied, in pixels")
    parser.add_argument("--band", type=float, default=2.0, help="the detail copied: the picture minus its blur of BAND px")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--out", required=True, help="a new folder for the evaluation report")
    args = parser.parse_args(argv)
    if any(strength <= 0 for strength in args.strengths) or args.block < 2 or args.band <= 0:
        raise SystemExit("--strengths and --band must be positive, --block at least 2")

    from kinpaint.evaluation import evaluate, resolve_method

    import paired_gaps

    base = resolve_method(args.model)
    if base.reads_captions:
        raise SystemExit(f"{args.model} reads captions; this experiment fills without them, so give a captionless model")
    fills = {}
    methods = [base] + [(f"{base.name}+detail{strength:g}",
                         DetailTransferFill(base.inpainter, strength, args.block, args.band, fills))
                        for strength in args.strengths]
    reference = resolve_method(args.reference) if args.reference else None
    if reference is not None:
        methods.append(reference)
    evaluate(args.store, methods, split=args.split, masks="centre", count=args.count, batch_size=args.batch_size,
             out=args.out, command=" ".join(["python", *sys.argv]))
    results = os.path.join(args.out, "results.csv")
    for name in [base.name] + ([reference.name] if reference else []):
        print()
        paired_gaps.main([results, "--reference", name])


if __name__ == "__main__":
    main()
