"""The built-in `shapes` dataset: scenes whose hidden centre only the caption describes.

Each 64x64 image has a textured background, one to three objects in the border
and one object inside the centre 32x32 square. The centre object's colour, shape and
size are drawn independently of everything in the border, so the border alone cannot
tell them; every caption names them. Five to seven captions per image, worded
differently, some also describing the surroundings. Deterministic from `seed`.

`draw_scene`, `describe_scene` and `draw_shape` are the generator's own steps, for code
that redraws its scenes in step with `load_shapes` (`benchmarks/experiments/shapes_bounds.py`).
"""

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "orange": (245, 140, 30),
    "purple": (140, 60, 180),
    "black": (25, 25, 25),
    "white": (245, 245, 245),
}
BACKGROUNDS = {
    "grey": (128, 128, 128),
    "beige": (215, 200, 165),
    "sky blue": (150, 190, 230),
    "pale green": (170, 210, 160),
    "pink": (230, 175, 190),
    "brown": (120, 90, 60),
}
SHAPES = ("circle", "square", "triangle", "diamond", "cross")
SIZES = {"small": (10, 14), "large": (22, 28)}
SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2}
DEFAULT_COUNTS = {"train": 4000, "val": 500, "test": 1000}
PLACES = {
    "top left": (0, 0), "top": (0, 1), "top right": (0, 2),
    "left": (1, 0), "right": (1, 2),
    "bottom left": (2, 0), "bottom": (2, 1), "bottom right": (2, 2),
}
SUPERSAMPLING = 4  # scenes are drawn this many times larger and reduced, for anti-aliased edges

_CENTRE_TEMPLATES = (
    "a {size} {colour} {shape} in the middle of the picture",
    "there is {a_colour} {shape} at the centre",
    "the centre holds a {size} {shape}, coloured {colour}",
    "in the middle: one {colour} {shape}, {size}",
    "{A_colour} {shape} sits right in the centre",
    "a picture with a {size} {colour} {shape} at its heart",
)
_SCENE_TEMPLATES = (
    "a {size} {colour} {shape} in the centre of a {background} background",
    "{a_colour} {shape} in the middle, with {neighbour} near the {place}",
    "{a_background} scene: {neighbour} at the {place} and {a_colour} {shape} in the centre",
)


def load_shapes(split="train", count=None, seed=0, size=64):
    """Generate the `shapes` split.

    Args:
        split: `"train"`, `"val"` or `"test"` (independent random streams).
        count: number of images; defaults to 4000 / 500 / 1000.
        seed: global seed; the same seed gives the same images and captions.
        size: image side (the hidden centre is the middle half).

    Returns:
        `(images, captions, scenes)`: uint8 `(N, size, size, 3)`, a list of N caption
        lists, and a list of N scene descriptions `{"centre": {"colour", "shape",
        "size"}, "background": ..., "neighbours": [{"place", "colour", "shape"}]}`.
    """
    if split not in SPLIT_SEEDS:
        raise ValueError(f"unknown split {split!r}; choose one of {tuple(SPLIT_SEEDS)}")
    count = DEFAULT_COUNTS[split] if count is None else int(count)
    rng = np.random.default_rng([seed, SPLIT_SEEDS[split]])
    images = np.empty((count, size, size, 3), np.uint8)
    captions, scenes = [], []
    for index in range(count):
        image, scene = draw_scene(rng, size)
        images[index] = image
        captions.append(describe_scene(rng, scene))
        scenes.append(scene)
    return images, captions, scenes


def draw_scene(rng, size=64, parts=False):
    """Draw one scene, taking from `rng` exactly the draws `load_shapes` takes for its picture
    (its captions' draws, `describe_scene`, come next).

    Returns `(image, scene)`: uint8 `(size, size, 3)` and the scene description of
    `load_shapes`. With `parts`, `(image, scene, before_centre, smooth_background)`: also the
    uint8 picture before the centre object was drawn, and float32 `(size, size, 3)` the
    background's colour and gradient at every pixel without its grain (clipped to [0, 255],
    not rounded).
    """
    big = size * SUPERSAMPLING
    background_name = rng.choice(list(BACKGROUNDS))
    base = np.array(BACKGROUNDS[background_name], np.float32)
    # A gentle gradient and grain, so the background is not a flat colour.
    ramp = np.linspace(-18, 18, size, dtype=np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = np.cos(angle) * ramp[None, :, None] + np.sin(angle) * ramp[:, None, None]
    grain = rng.normal(0, 6, (size, size, 1)).astype(np.float32)
    background = np.clip(base + gradient + grain, 0, 255).astype(np.uint8)
    canvas = Image.fromarray(background).resize((big, big), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(canvas)

    quarter = size // 4
    # Rows and columns of a 3x3 grid of bands; the middle one is the hidden centre.
    bands = ((0, quarter), (quarter, size - quarter), (size - quarter, size))
    neighbours = []
    for place in rng.choice(list(PLACES), size=rng.integers(1, 4), replace=False):
        row, col = PLACES[place]
        colour, shape = rng.choice(list(COLOURS)), rng.choice(SHAPES)
        side = object_side(rng.integers(7, 12), size)
        top, left = _place_in(rng, bands[row], side), _place_in(rng, bands[col], side)
        draw_shape(draw, shape, COLOURS[colour], top, left, side)
        neighbours.append({"place": str(place), "colour": str(colour), "shape": str(shape)})

    before_centre = np.asarray(canvas.reduce(SUPERSAMPLING)) if parts else None
    size_name = rng.choice(list(SIZES))
    side = object_side(rng.integers(*SIZES[size_name]), size)
    colour, shape = rng.choice(list(COLOURS)), rng.choice(SHAPES)
    top, left = _place_in(rng, bands[1], side), _place_in(rng, bands[1], side)
    draw_shape(draw, shape, COLOURS[colour], top, left, side)
    image = np.asarray(canvas.reduce(SUPERSAMPLING))
    centre = {"colour": str(colour), "shape": str(shape), "size": str(size_name)}
    scene = {"centre": centre, "background": str(background_name), "neighbours": neighbours}
    if parts:
        return image, scene, before_centre, np.clip(base + gradient, 0, 255)
    return image, scene


def _place_in(rng, band, side):
    """Start coordinate of a `side`-pixel object lying wholly inside `band`."""
    start, stop = band
    return start + int(rng.integers(0, stop - start - side + 1))


def object_side(side, size):
    """An object's side in pixels in a `size`-pixel image, from its side in a 64-pixel one
    (`SIZES` and the border objects' 7 to 11 pixels are given at 64)."""
    return max(2, int(side * size / 64))


def draw_shape(draw, shape, colour, top, left, side):
    """Draw one of `SHAPES` filled with `colour` on `draw`, an `ImageDraw` of a canvas
    `SUPERSAMPLING` times the image's size; `top`, `left` and `side` are in image pixels
    (the shape fills the `side` x `side` square at `(top, left)`)."""
    s = SUPERSAMPLING
    x0, y0, x1, y1 = left * s, top * s, (left + side) * s - 1, (top + side) * s - 1
    if shape == "circle":
        draw.ellipse((x0, y0, x1, y1), fill=colour)
    elif shape == "square":
        draw.rectangle((x0, y0, x1, y1), fill=colour)
    elif shape == "triangle":
        draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=colour)
    elif shape == "diamond":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=colour)
    elif shape == "cross":
        third = (x1 - x0) / 3
        draw.rectangle((x0 + third, y0, x1 - third, y1), fill=colour)
        draw.rectangle((x0, y0 + third, x1, y1 - third), fill=colour)


def _article(word):
    return ("an " if word[0] in "aeiou" else "a ") + word


def describe_scene(rng, scene):
    """The five to seven captions of `scene` (a `load_shapes` scene description), worded with
    draws from `rng`; how many draws does not depend on the scene."""
    centre = scene["centre"]
    neighbour = scene["neighbours"][0]
    words = {
        "size": centre["size"],
        "colour": centre["colour"],
        "shape": centre["shape"],
        "a_colour": _article(centre["colour"]),
        "A_colour": _article(centre["colour"]).capitalize(),
        "background": scene["background"],
        "a_background": _article(scene["background"]).capitalize(),
        "neighbour": _article(f"{neighbour['colour']} {neighbour['shape']}"),
        "place": neighbour["place"],
    }
    count = rng.integers(5, 8)
    scene_count = rng.integers(1, 3)
    chosen = list(rng.choice(_CENTRE_TEMPLATES, size=count - scene_count, replace=False))
    chosen += list(rng.choice(_SCENE_TEMPLATES, size=scene_count, replace=False))
    return [template.format(**words) for template in chosen]
