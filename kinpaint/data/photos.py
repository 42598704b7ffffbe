"""The built-in `photos` dataset: 64x64 crops of real photographs shipped in wheels.

The photographs come from scikit-image (`skimage/data/`) and scikit-learn
(`sklearn/datasets/images/`), installed by `pip install "kinpaint[photos]"`. Each
crop is a random square of random size (from 64 pixels up to the photo's short
side, log-uniformly), resized down to 64x64 like MSCOCO thumbnails. Train and test
crops come from different photographs. See docs/datasets.md for the licences.
"""

import importlib.util
import os

import numpy as np
from PIL import Image

# name: (package, path inside the package, licence)
PHOTOGRAPHS = {
    "astronaut": ("skimage", "data/astronaut.png", "public domain (NASA)"),
    "rocket": ("skimage", "data/rocket.jpg", "public domain (SpaceX)"),
    "hubble_deep_field": ("skimage", "data/hubble_deep_field.jpg", "public domain (NASA)"),
    "motorcycle_left": ("skimage", "data/motorcycle_left.png", "Middlebury 2014 stereo dataset"),
    "motorcycle_right": ("skimage", "data/motorcycle_right.png", "Middlebury 2014 stereo dataset"),
    "retina": ("skimage", "data/retina.jpg", "CC0 (Mikael Haggstrom)"),
    "immunohistochemistry": ("skimage", "data/ihc.png", "no known copyright restrictions (CMMI)"),
    "china": ("sklearn", "datasets/images/china.jpg", "CC BY 2.0 (danielbuechele)"),
    "chelsea": ("skimage", "data/chelsea.png", "CC0 (Stefan van der Walt)"),
    "coffee": ("skimage", "data/coffee.png", "CC0 (Rachel Michetti)"),
    "flower": ("sklearn", "datasets/images/flower.jpg", "CC BY 2.0 (vultilion)"),
}
# The stereo pair stays together, so no test crop has a near-twin in training.
SPLITS = {
    "train": ("astronaut", "rocket", "hubble_deep_field", "motorcycle_left",
              "motorcycle_right", "retina", "immunohistochemistry", "china"),
    "test": ("chelsea", "coffee", "flower"),
}
SPLIT_SEEDS = {"train": 0, "test": 1}
DEFAULT_COUNTS = {"train": 4000, "test": 600}


def photograph_path(name):
    """Path of a packaged photograph, without importing its (slow) package."""
    package, inner, _ = PHOTOGRAPHS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the built-in 'photos' dataset reads photographs shipped with {package}; "
            "install them with: pip install 'kinpaint[photos]'"
        )
    path = os.path.join(list(spec.submodule_search_locations)[0], inner)
    if not os.path.exists(path):
        raise FileNotFoundError(f"photograph {name!r} missing from the installed {package}: {path}")
    return path


def load_photograph(name):
    """The full-size photograph as uint8 RGB `(H, W, 3)`."""
    with Image.open(photograph_path(name)) as image:
        return np.asarray(image.convert("RGB"))


def load_photos(split="train", count=None, seed=0, size=64):
    """Random crops of the split's photographs.

    Args:
        split: `"train"` or `"test"`; they share no photograph.
        count: number of crops; defaults to 4000 / 600.
        seed: the same seed gives the same crops.
        size: output side.

    Returns:
        `(images, sources)`: uint8 `(N, size, size, 3)` and the photograph name of each crop.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {tuple(SPLITS)}")
    count = DEFAULT_COUNTS[split] if count is None else int(count)
    photographs = {name: Image.open(photograph_path(name)).convert("RGB") for name in SPLITS[split]}
    names = list(photographs)
    rng = np.random.default_rng([seed, SPLIT_SEEDS[split]])
    images = np.empty((count, size, size, 3), np.uint8)
    sources = []
    for index in range(count):
        name = names[rng.integers(len(names))]
        photo = photographs[name]
        short = min(photo.size)
        side = int(round(np.exp(rng.uniform(np.log(min(size, short)), np.log(short)))))
        left = int(rng.integers(0, photo.size[0] - side + 1))
        top = int(rng.integers(0, photo.size[1] - side + 1))
        crop = photo.crop((left, top, left + side, top + side))
        crop = crop.resize((size, size), Image.Resampling.LANCZOS)
        if rng.random() < 0.5:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        images[index] = np.asarray(crop)
        sources.append(name)
    return images, sources
