"""The built-in `photos` datasets: crops of real photographs.

- `photos:wheels`: the 11 photographs scikit-image (`skimage/data/`) and scikit-learn
  (`sklearn/datasets/images/`) ship, installed by `pip install "kinpaint[photos]"`;
  splits `train` (8 photographs) and `test` (3).
- `photos:corpus`: the photo corpus (`kinpaint.data.photo_catalogue`), about 450
  photographs from Debian and PyPI packages; splits `train`, `val`, `test` by scene.
  An error names the install command when its packages are missing.
- `photos`: the corpus when any of its packages is installed, else the wheels.

Each crop is a random square of random size (from the output size up to the photo's
short side, log-uniformly), resized down with Lanczos like MSCOCO thumbnails, flipped
half the time. Crops are made one at a time (`iter_photo_crops`), so the corpus is never
held in memory as crops. See docs/datasets.md for the licences.
"""

import functools

import numpy as np
from PIL import Image

from kinpaint.data.corpus.photo_sources import wheels
from kinpaint.data.corpus.photo_sources.wheels import PHOTOGRAPHS, photograph_path  # noqa: F401  (public here)

# The stereo pair stays together, so no test crop has a near-twin in training.
SPLITS = {
    "train": ("astronaut", "rocket", "hubble_deep_field", "motorcycle_left",
              "motorcycle_right", "retina", "immunohistochemistry", "china"),
    "test": ("chelsea", "coffee", "flower"),
}
SPLIT_SEEDS = {"train": 0, "test": 1}  # the wheels' splits
CORPUS_SPLIT_SEEDS = {"train": 0, "val": 2, "test": 1}
DEFAULT_COUNTS = {"train": 4000, "val": 600, "test": 600}
PHOTO_SETS = ("auto", "wheels", "corpus")
DECODED_PHOTOGRAPHS = 32  # corpus photographs kept decoded at a time


def load_photograph(name):
    """The full-size photograph as uint8 RGB `(H, W, 3)`."""
    with Image.open(photograph_path(name)) as image:
        return np.asarray(image.convert("RGB"))


def load_photos(split="train", count=None, seed=0, size=64, photos="auto", root=None):
    """Random crops of the split's photographs.

    Args:
        split: `"train"` or `"test"` (and `"val"` in the corpus); they share no photograph.
        count: number of crops; defaults to 4000 / 600 / 600.
        seed: the same seed gives the same crops.
        size: output side.
        photos: `"wheels"`, `"corpus"` or `"auto"` (see the module docstring).
        root: where the corpus's Debian packages were extracted (`dpkg-deb -x`), if not installed.

    Returns:
        `(images, sources)`: uint8 `(N, size, size, 3)` and the photograph name of each crop.
    """
    crops = list(iter_photo_crops(split, count, seed, size, photos, root))
    images = np.empty((len(crops), size, size, 3), np.uint8)
    for index, (crop, _) in enumerate(crops):
        images[index] = crop
    return images, [name for _, name in crops]


def iter_photo_crops(split="train", count=None, seed=0, size=64, photos="auto", root=None):
    """Yield `(uint8 crop (size, size, 3), photograph name)`, one at a time (see `load_photos`)."""
    photos = resolve_photo_set(photos, root)
    splits = SPLIT_SEEDS if photos == "wheels" else CORPUS_SPLIT_SEEDS
    if split not in splits:
        raise ValueError(f"unknown split {split!r} of the {photos} photographs; choose one of {tuple(splits)}")
    count = DEFAULT_COUNTS[split] if count is None else int(count)
    if photos == "wheels":
        opened = {name: Image.open(photograph_path(name)).convert("RGB") for name in SPLITS[split]}
        names, load = list(opened), opened.__getitem__
    else:
        entries = {entry.name: entry for entry in corpus_catalogue(root) if entry.split == split}
        names = sorted(entries)
        load = functools.lru_cache(DECODED_PHOTOGRAPHS)(lambda name: entries[name].load())
    rng = np.random.default_rng([seed, splits[split]])
    for _ in range(count):
        name = names[rng.integers(len(names))]
        yield random_crop(load(name), size, rng), name


def random_crop(photo, size, rng):
    """A random square of `photo` (log-uniform side from `size` to its short side), Lanczos-resized
    to `size`, flipped left-right half the time: uint8 `(size, size, 3)`."""
    short = min(photo.size)
    side = int(round(np.exp(rng.uniform(np.log(min(size, short)), np.log(short)))))
    left = int(rng.integers(0, photo.size[0] - side + 1))
    top = int(rng.integers(0, photo.size[1] - side + 1))
    crop = photo.crop((left, top, left + side, top + side))
    crop = crop.resize((size, size), Image.Resampling.LANCZOS)
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return np.asarray(crop)


@functools.lru_cache(maxsize=4)
def corpus_catalogue(root=None):
    """The corpus's catalogue entries (cached per `root`)."""
    from kinpaint.data.corpus.catalogue import photo_catalogue

    return tuple(photo_catalogue(root))


def resolve_photo_set(photos="auto", root=None):
    """`"wheels"` or `"corpus"`: `"auto"` is the corpus when any of its packages is installed."""
    if photos not in PHOTO_SETS:
        raise ValueError(f"photos must be one of {PHOTO_SETS}, got {photos!r}")
    if photos == "wheels":
        return photos
    from kinpaint.data.corpus.catalogue import corpus_install_hint

    found = any(entry.package != wheels.PACKAGE for entry in corpus_catalogue(root))
    if photos == "corpus" and not found:
        raise FileNotFoundError("the photo corpus's packages are not installed"
                                + (f" under {root}" if root else "") + f"; {corpus_install_hint()}")
    return "corpus" if found else "wheels"


def describe_photo_set(photos="auto", root=None):
    """One line saying which photographs a `photos` dataset draws from."""
    if resolve_photo_set(photos, root) == "wheels":
        return (f"photos: the {len(PHOTOGRAPHS)} photographs of the scikit-image / scikit-learn wheels (the photo "
                "corpus is not installed; `kinpaint info photos` says how)")
    entries = corpus_catalogue(root)
    packages = sorted({entry.package for entry in entries})
    missing = missing_corpus_packages(root)
    line = f"photos: the corpus, {len(entries)} photographs from {', '.join(packages)}"
    if missing:  # figures from part of the corpus do not compare with docs/ (483 photographs)
        line += f"; NOT the whole corpus: {', '.join(missing)} not installed (`kinpaint info photos` says how)"
    return line


def missing_corpus_packages(root=None):
    """The names of the corpus's packages that are not installed (under `root`), in catalogue order."""
    from kinpaint.data.corpus.catalogue import SOURCES, source_module

    packages = {entry.package for entry in corpus_catalogue(root)}
    return [module.PACKAGE for module in map(source_module, SOURCES) if module.PACKAGE not in packages]


def require_whole_corpus(root=None):
    """Refuse part of the corpus where figures must compare with docs/ (its 483 photographs):
    a FileNotFoundError naming the packages that are missing and how to install them."""
    from kinpaint.data.corpus.catalogue import corpus_install_hint

    missing = missing_corpus_packages(root)
    if missing:
        raise FileNotFoundError(f"the photo corpus is not whole: {', '.join(missing)} not installed"
                                + (f" under {root}" if root else "") + f"; {corpus_install_hint()}")

