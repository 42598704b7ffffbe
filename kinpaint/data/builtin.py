"""Built-in datasets that need no download: `shapes` and `photos`."""

from kinpaint.data.records import Example, Report

BUILTIN_DATASETS = ("shapes", "photos")


def load_builtin(name, split, count=None, seed=0, size=64):
    """`(images, captions)` of a built-in split; `captions` is `None` for `photos`."""
    if name == "shapes":
        from kinpaint.data.shapes import load_shapes

        images, captions, _ = load_shapes(split, count=count, seed=seed, size=size)
        return images, captions
    if name == "photos":
        from kinpaint.data.photos import load_photos

        images, _ = load_photos(split, count=count, seed=seed, size=size)
        return images, None
    raise ValueError(f"unknown built-in dataset {name!r}; choose one of {BUILTIN_DATASETS}")


def builtin_splits(name):
    if name == "shapes":
        from kinpaint.data.shapes import SPLIT_SEEDS
    elif name == "photos":
        from kinpaint.data.photos import SPLIT_SEEDS
    else:
        raise ValueError(f"unknown built-in dataset {name!r}; choose one of {BUILTIN_DATASETS}")
    return tuple(SPLIT_SEEDS)


class BuiltinReader:
    """Yields `Example`s of every split of a built-in dataset, like the file readers."""

    def __init__(self, name, counts=None, seed=0, size=64):
        self.name = name
        self.splits = builtin_splits(name)
        self.counts = counts or {}
        self.seed = seed
        self.size = size
        self.report = Report()
        self._loaded = None

    def _load(self):
        if self._loaded is None:
            self._loaded = {
                split: load_builtin(self.name, split, self.counts.get(split), self.seed, self.size)
                for split in self.splits
            }
        return self._loaded

    def __len__(self):
        return sum(len(images) for images, _ in self._load().values())

    def __iter__(self):
        for split, (images, captions) in self._load().items():
            for index, image in enumerate(images):
                yield Example(
                    f"{self.name}-{split}-{index:06d}",
                    image,
                    [] if captions is None else captions[index],
                    split,
                )
