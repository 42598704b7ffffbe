"""How much can captions help on `shapes`? The fills of two oracles, for comparison with models.

    python benchmarks/experiments/shapes_bounds.py

Both oracles know the hidden background (with its grain, or only its colour and gradient,
which is what the border can tell) and the generator's distribution of the centre object's
position and side; they output the expected pixel, the fill with the least expected
squared error:
- `caption oracle` also knows the colour, shape and size class the captions give;
- `border oracle` knows only what the border shows, so it averages over those too.
The gap between them is about the most a model can gain from captions in hole PSNR (an
oracle minimises expected squared error, not mean PSNR, so the bound is not strict).
The scenes are redrawn with the generator's own steps and checked against `load_shapes`.
"""

import itertools

import numpy as np
from PIL import Image, ImageDraw

from kinpaint.data import shapes as S
from kinpaint.metrics import psnr

SIZE = 64
NAMES = [f"{oracle} oracle, {known}" for known in ("grain known", "grain unknown") for oracle in ("caption", "border")]


def draw_parts(rng, size=SIZE):
    """The generator's own scene, with the picture before the centre object and its smooth background."""
    image, scene, plain, smooth_background = S.draw_scene(rng, size, parts=True)
    quarter = size // 4
    plain = plain.astype(np.float32)
    smooth = plain.copy()  # what the border can tell of the hidden background: no grain
    smooth[quarter:-quarter, quarter:-quarter] = smooth_background[quarter:-quarter, quarter:-quarter]
    return plain, smooth, image.astype(np.float32), scene


def coverage(shape, size_name, size=SIZE):
    """Expected fraction of each pixel the centre object covers, over its sides and positions."""
    quarter = size // 4
    total, count = np.zeros((size, size), np.float64), 0
    low, high = S.SIZES[size_name]
    for side in range(low, high):
        side = S.object_side(side, size)
        positions = range(quarter, size - quarter - side + 1)
        for top, left in itertools.product(positions, positions):
            canvas = Image.new("L", (size * S.SUPERSAMPLING,) * 2, 0)
            S.draw_shape(ImageDraw.Draw(canvas), shape, 255, top, left, side)
            total += np.asarray(canvas.reduce(S.SUPERSAMPLING), np.float64) / 255
            count += 1
    return total / count


def main(count=1000):
    maps = {(shape, size): coverage(shape, size) for shape in S.SHAPES for size in S.SIZES}
    colours = np.array(list(S.COLOURS.values()), np.float64)
    mixture = np.mean(list(maps.values()), axis=0)  # shape and size are uniform
    rng = np.random.default_rng([0, S.SPLIT_SEEDS["test"]])
    truth, fills = [], {name: [] for name in NAMES}
    for _ in range(count):
        plain, smooth, image, scene = draw_parts(rng)
        colour, shape, size = (scene["centre"][key] for key in ("colour", "shape", "size"))
        alpha = maps[(shape, size)][..., None]
        for background, known in ((plain, "grain known"), (smooth, "grain unknown")):
            fills[f"caption oracle, {known}"].append(alpha * np.array(S.COLOURS[colour]) + (1 - alpha) * background)
            # E[alpha * colour] = E[alpha] E[colour]: colour is drawn independently of shape and size.
            fills[f"border oracle, {known}"].append(mixture[..., None] * colours.mean(0)
                                                    + (1 - mixture[..., None]) * background)
        truth.append(image)
        S.describe_scene(rng, scene)  # the captions' draws come next in load_shapes: stay in step
    reference, _, _ = S.load_shapes("test", count=min(count, 20))
    assert np.array_equal(np.asarray(truth[: len(reference)], np.uint8), reference), "out of step with load_shapes"
    masks = np.ones((count, SIZE, SIZE, 1), np.float32)
    masks[:, 16:48, 16:48] = 0
    to_range = lambda pixels: np.asarray(pixels, np.float32) / 127.5 - 1  # noqa: E731
    truth = to_range(truth)
    results = {name: float(np.mean(psnr(truth, to_range(values), masks))) for name, values in fills.items()}
    for name, value in results.items():
        print(f"{name:<32}{value:8.2f} dB hole PSNR")
    for known in ("grain known", "grain unknown"):
        gap = results[f"caption oracle, {known}"] - results[f"border oracle, {known}"]
        print(f"captions add at most {gap:+.2f} dB ({known})")


if __name__ == "__main__":
    main()
