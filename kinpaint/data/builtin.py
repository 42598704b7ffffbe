"""Built-in datasets that need no download: `shapes`, `photos` and `objects`."""

from kinpaint.data.records import Example, Report

BUILTIN_DATASETS = ("shapes", "photos", "photos:corpus", "photos:wheels", "objects")


def load_builtin(name, split, count=None, seed=0, size=64, language="en"):
    """`(images, captions)` of a built-in split; `captions` is `None` for `photos`.
    `language` picks the captions' language of `objects` (the others are English only)."""
    check_language(name, language)
    if name == "objects":
        from kinpaint.data.objects import load_objects

        images, captions, _ = load_objects(split, count=count, seed=seed, language=language, size=size)
        return images, captions
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
    if name == "objects":
        from kinpaint.data.objects import SPLIT_SEEDS
    elif name == "shapes":
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


def check_language(name, language):
    """Only `objects` has captions in other languages than English (`"en"`)."""
    if language != "en" and name != "objects":
        raise ValueError(f"captions in {language!r}: only the built-in 'objects' dataset has captions in other "
                         f"languages; {name!r} is English only")


class BuiltinReader:
    """Yields `Example`s of every split of a built-in dataset, like the file readers."""

    def __init__(self, name, counts=None, seed=0, size=64, language="en"):
        check_language(name, language)
        self.language = language
        self.name = name
        self.splits = builtin_splits(name)
        self.counts = dict(counts or {})
        for split, count in self.counts.items():
            if split not in self.splits:
                raise ValueError(f"counts (--count): {name} has the splits {', '.join(self.splits)}; there is no "
                                 f"{split!r}")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"counts (--count): {split}={count!r} is not a number of images (0 or more)")
        self.seed = seed
        self.size = size
        self.report = Report()
        self._loaded = None

    def _load(self):
        if self._loaded is None:
            self._loaded = {
                split: load_builtin(self.name, split, self.counts.get(split), self.seed, self.size, self.language)
                for split in self.splits
            }
        return self._loaded

    def __len__(self):
        if self.name == "objects":
            from kinpaint.data.objects import DEFAULT_COUNTS

            return sum(self.counts.get(split, DEFAULT_COUNTS[split]) for split in self.splits)
        if self.name.startswith("photos"):
            from kinpaint.data.photos import DEFAULT_COUNTS

            return sum(self.counts.get(split, DEFAULT_COUNTS[split]) for split in self.splits)
        return sum(len(images) for images, _ in self._load().values())

    def __iter__(self):
        if self.name == "objects":  # streamed, like the photos
            from kinpaint.data.objects import iter_objects

            for split in self.splits:
                examples = iter_objects(split, self.counts.get(split), self.seed, language=self.language,
                                        size=self.size)
                for index, (image, captions, _) in enumerate(examples):
                    yield Example(f"{self.name}-{split}-{index:06d}", image, captions, split)
            return
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
