"""Built-in datasets that need no download: `shapes` and `photos`."""

from kinpaint.data.records import Example, Report

BUILTIN_DATASETS = ("shapes", "photos", "photos:corpus", "photos:wheels")


def load_builtin(name, split, count=None, seed=0, size=64):
    """`(images, captions)` of a built-in split; `captions` is `None` for `photos`."""
    if name == "shapes":
        from kinpaint.data.shapes import load_shapes

        images, captions, _ = load_shapes(split, count=count, seed=seed, size=size)
        return images, captions
    if name in BUILTIN_DATASETS and name.startswith("photos"):
        from kinpaint.data.photos import load_photos

        images, _ = load_photos(split, count=count, seed=seed, size=size, photos=photo_set(name))
        return images, None
    raise ValueError(f"unknown built-in dataset {name!r}; choose one of {BUILTIN_DATASETS}")


def builtin_splits(name):
    if name == "shapes":
        from kinpaint.data.shapes import SPLIT_SEEDS
    elif name.startswith("photos") and name in BUILTIN_DATASETS:
        from kinpaint.data.photos import CORPUS_SPLIT_SEEDS, SPLIT_SEEDS, resolve_photo_set

        if resolve_photo_set(photo_set(name)) == "corpus":
            return tuple(CORPUS_SPLIT_SEEDS)
    else:
        raise ValueError(f"unknown built-in dataset {name!r}; choose one of {BUILTIN_DATASETS}")
    return tuple(SPLIT_SEEDS)


def photo_set(name):
    """The `photos=` choice of `load_photos` behind a built-in name: auto, corpus or wheels."""
    return {"photos": "auto", "photos:corpus": "corpus", "photos:wheels": "wheels"}[name]


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
        if self.name.startswith("photos"):
            from kinpaint.data.photos import DEFAULT_COUNTS

            return sum(self.counts.get(split, DEFAULT_COUNTS[split]) for split in self.splits)
        return sum(len(images) for images, _ in self._load().values())

    def __iter__(self):
        if self.name.startswith("photos"):  # streamed: the corpus is never held in memory as crops
            from kinpaint.data.photos import iter_photo_crops

            for split in self.splits:
                crops = iter_photo_crops(split, self.counts.get(split), self.seed, self.size, photo_set(self.name))
                for index, (crop, _) in enumerate(crops):
                    yield Example(f"{self.name}-{split}-{index:06d}", crop, [], split)
            return
        for split, (images, captions) in self._load().items():
            for index, image in enumerate(images):
                yield Example(
                    f"{self.name}-{split}-{index:06d}",
                    image,
                    [] if captions is None else captions[index],
                    split,
                )
