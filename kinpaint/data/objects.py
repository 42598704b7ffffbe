"""The built-in `objects` dataset: a real object hidden in a real scene, named by its caption.

Each 64x64 image is a crop of the photo corpus (`kinpaint.data.photos`, split by
photograph as there) with one photographic stamp (`kinpaint.data.corpus.stamps`) pasted over it
with its transparency, wholly inside the hidden centre (the middle half), at a random
position, size (its longer side log-uniform from `SIDE_RANGE[0]` to `SIDE_RANGE[1]` of the
centre's side) and, unless the stamp says `nomirror`, mirrored half of the time. The border
is the scene alone, so it cannot tell which object is hidden; the caption can.

Splits:
- `train`, `val`, `test`: the seen stamps, on the corpus's train, val and test photographs;
- `test_unseen`: the held-out stamps (split by stamp kind, see `kinpaint.data.corpus.stamps`) on
  the same test crops as `test` (same seed), so the two conditions differ only in the objects.

Captions are written by people, none invented here: the stamp's own description in the
chosen `language` ("A drake.", "Un canard.", "Ein Erpel."), followed in English by the
scene's shortest text where the corpus has one, as a sentence ("A drake. Brick walls.").
The corpus's texts are English, so other languages get the stamp's description alone.
"""

import numpy as np
from PIL import Image

from kinpaint.data.corpus.stamps import ENGLISH, language_counts, photographic_stamps

SPLITS = {"train": ("train", "seen"), "val": ("val", "seen"), "test": ("test", "seen"),
          "test_unseen": ("test", "unseen")}  # split: (the corpus's split, the stamps' split)
SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2, "test_unseen": 3}
DEFAULT_COUNTS = {"train": 8000, "val": 600, "test": 600, "test_unseen": 600}
SIDE_RANGE = (0.75, 1.0)  # the stamp's longer side, as a fraction of the hidden centre's side


def load_objects(split="train", count=None, seed=0, root=None, language=ENGLISH, size=64):
    """Generate the `objects` split.

    Args:
        split: `"train"`, `"val"`, `"test"` (seen stamps) or `"test_unseen"` (held-out stamps).
        count: number of images; defaults to 8000 / 600 / 600 / 600.
        seed: the same seed gives the same images and captions.
        root: where the Debian packages were extracted (`dpkg-deb -x`), if not installed.
        language: the stamps' descriptions in this language (`"en"`, `"fr"`, `"de"`, ...);
            stamps without one are left out and counted in `info`.
        size: image side (the hidden centre is the middle half).

    Returns:
        `(images, captions, info)`: uint8 `(N, size, size, 3)`, a list of N caption lists
        (one caption each), and `info`, a dict: `"examples"` (per image: `"stamp"`,
        `"photograph"`, `"top"`, `"left"`, `"height"`, `"width"`, `"flip"`), `"language"`,
        `"stamps"` (how many the split draws from) and `"skipped_for_language"` (these three
        when `count` is above 0).
    """
    images, captions, examples = [], [], []
    info = {}
    for image, caption, example in iter_objects(split, count, seed, root, language, size, info=info):
        images.append(image)
        captions.append(caption)
        examples.append(example)
    stacked = np.stack(images) if images else np.empty((0, size, size, 3), np.uint8)
    return stacked, captions, {**info, "examples": examples}


def iter_objects(split="train", count=None, seed=0, root=None, language=ENGLISH, size=64, info=None):
    """Yield `(uint8 image, [caption], example)` one at a time (see `load_objects`); `info`,
    a dict if given, receives `"language"`, `"stamps"` and `"skipped_for_language"` before
    the first image (nothing for a count of 0)."""
    from kinpaint.data.photos import corpus_catalogue, iter_photo_crops

    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} of objects; choose one of {tuple(SPLITS)}")
    count = DEFAULT_COUNTS[split] if count is None else int(count)
    if count == 0:
        return
    corpus_split, stamp_split = SPLITS[split]
    stamps = split_stamps(stamp_split, root)
    chosen = [stamp for stamp in stamps if language in stamp.descriptions]
    if not chosen:
        languages = ", ".join(language_counts(stamps))
        raise ValueError(f"no {stamp_split} stamp has a description in {language!r}; languages: {languages} "
                         f"(a count of 0 leaves the {split} split out)")
    if info is not None:
        info.update(language=language, stamps=len(chosen), skipped_for_language=len(stamps) - len(chosen))
    scene_texts = {entry.name: scene_text(entry.captions) for entry in corpus_catalogue(root)}
    rng = np.random.default_rng([seed, SPLIT_SEEDS[split]])
    loaded = {}
    for crop, photograph in iter_photo_crops(corpus_split, count, seed, size, "corpus", root):
        stamp = chosen[rng.integers(len(chosen))]
        if stamp.name not in loaded:
            loaded[stamp.name] = stamp.load()
        picture = loaded[stamp.name]
        placement = draw_placement(rng, picture.size, size, stamp.mirror)
        image = composite(crop, *stamp_layer(picture, placement, size))
        text = scene_texts.get(photograph) if language == ENGLISH else None
        caption = stamp.descriptions[language] + (f" {text}" if text else "")
        yield image, [caption], {"stamp": stamp.name, "photograph": photograph, **placement}


def split_stamps(stamp_split, root=None):
    """The kept stamps of `"seen"` or `"unseen"`, in path order."""
    return [stamp for stamp in photographic_stamps(root) if stamp.split == stamp_split]


def scene_text(captions):
    """The shortest of a photograph's texts as a sentence (capital first letter, a full stop
    unless it ends in one already): `("brick walls",)` -> `"Brick walls."`; None for none."""
    texts = [" ".join(text.split()) for text in captions if text and text.strip()]
    if not texts:
        return None
    text = min(texts, key=len)
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def hole_box(size=64):
    """`(start, side)` of the hidden centre square, as `kinpaint.data.masks.centre_mask`."""
    side = size // 2
    return (size - side) // 2, side


def draw_placement(rng, stamp_size, size=64, mirror=True):
    """Where a stamp of `stamp_size` `(width, height)` goes in a `size`-pixel image, wholly
    inside the hidden centre: `{"top", "left", "height", "width", "flip"}`. Takes the same
    four draws from `rng` whatever the stamp."""
    start, side = hole_box(size)
    low, high = SIDE_RANGE
    longer = side * float(np.exp(rng.uniform(np.log(low), np.log(high))))
    scale = longer / max(stamp_size)
    width = int(min(side, max(1, round(stamp_size[0] * scale))))
    height = int(min(side, max(1, round(stamp_size[1] * scale))))
    top = start + int(rng.integers(0, side - height + 1))
    left = start + int(rng.integers(0, side - width + 1))
    flip = bool(rng.random() < 0.5) and bool(mirror)
    return {"top": top, "left": left, "height": height, "width": width, "flip": flip}


def stamp_layer(picture, placement, size=64):
    """The stamp `picture` (Pillow RGBA) resized (Lanczos) and placed: float32 `(size, size, 3)`
    colour premultiplied by its alpha, and float32 `(size, size, 1)` alpha in [0, 1]."""
    resized = picture.resize((placement["width"], placement["height"]), Image.Resampling.LANCZOS)
    if placement["flip"]:
        resized = resized.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    pixels = np.asarray(resized, np.float32)
    alpha = pixels[..., 3:] / 255
    colour_layer = np.zeros((size, size, 3), np.float32)
    alpha_layer = np.zeros((size, size, 1), np.float32)
    rows = slice(placement["top"], placement["top"] + placement["height"])
    columns = slice(placement["left"], placement["left"] + placement["width"])
    colour_layer[rows, columns] = pixels[..., :3] * alpha
    alpha_layer[rows, columns] = alpha
    return colour_layer, alpha_layer


def composite(scene, colour, alpha):
    """`scene` uint8 `(H, W, 3)` under a premultiplied layer (`stamp_layer`): uint8 `(H, W, 3)`."""
    blended = colour + (1 - alpha) * np.asarray(scene, np.float32)
    return np.clip(np.round(blended), 0, 255).astype(np.uint8)
