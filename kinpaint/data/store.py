"""The HDF5 store: images, captions, splits and cached caption embeddings in one file.

Layout (format version 1):

    images            uint8 (N, H, W, 3), chunked by 64 images
    names             str (N,)            source identifier of each image
    captions          str (C,)            every caption of every image, image by image
    caption_offsets   int64 (N + 1,)      image i owns captions[offsets[i]:offsets[i + 1]]
    embeddings/<name> float32 (C, D)      one vector per caption, per encoder name
    attrs             format, version, image_size, splits (JSON {name: [start, stop]}),
                      source, report

Images of a split are contiguous, so a split streams with contiguous reads.
"""

import json
import os

import h5py
import numpy as np

from kinpaint.data.store_layout import FORMAT, INCOMPLETE_EMBEDDINGS, MAX_IMAGE_SIDE, VERSION, StoreError, check_layout
from kinpaint.files import atomic_path, check_can_write, remove_stale_temporaries

__all__ = ["FORMAT", "MAX_IMAGE_SIDE", "VERSION", "Store", "StoreError", "write_store"]

CHUNK_IMAGES = 64
_WRITE_BLOCK = 1024
_TEXT = h5py.string_dtype("utf-8")


def _is_kinpaint_store(path):
    """Whether `path` is an HDF5 file whose `format` attribute says kinpaint wrote it (any
    other HDF5 file, such as a user's weights, is not ours to replace)."""
    try:
        with h5py.File(path, "r") as file:
            return file.attrs.get("format") == FORMAT
    except (OSError, ValueError):
        return False


def write_store(path, reader, force=False, progress=True, source=""):
    """Write every `Example` of `reader` to a new store at `path`.

    The file is written under a temporary name and renamed at the end, so an
    interrupted run leaves nothing behind and an existing file stays untouched
    unless `force` is true; a temporary file a killed run left beside `path` is removed.

    Returns:
        the reader's `Report` (what was skipped and converted).

    Raises:
        FileExistsError: `path` exists and `force` is false, or it is not a store (`force`
            replaces stores only, never a dataset's own files such as its captions).
        ValueError: the reader yielded nothing usable, or images of mixed sizes.
    """
    check_can_write(path, overwrite=force)
    if os.path.isdir(path) or (os.path.exists(path) and not _is_kinpaint_store(path)):
        raise FileExistsError(f"{path} exists and is not a kinpaint store; --force replaces stores only, so it "
                              "is left as it is: choose another --out")
    remove_stale_temporaries(path)  # a killed run's, left beside the store
    bar = _progress_bar(len(reader)) if progress else None
    with atomic_path(path) as temporary:
        with h5py.File(temporary, "w") as file:
            writer = _Writer(file)
            for seen, example in enumerate(reader, start=1):
                writer.add(example)
                if bar is not None and seen % 256 == 0:
                    bar.update(seen)
            if bar is not None:
                bar.update(len(reader), finalize=True)
            writer.close(source=source, report=reader.report.summary())
    return reader.report


class _Writer:
    """Appends examples to an open HDF5 file, block by block."""

    def __init__(self, file):
        self.file = file
        self.pending = []
        self.splits = {}
        self.current_split = None
        self.count = 0
        self.captions_count = 0

    def add(self, example):
        index = self.count + len(self.pending)
        if example.split != self.current_split:
            if example.split in self.splits:
                raise ValueError(f"split {example.split!r} is not contiguous in the reader's order")
            self.splits[example.split] = [index, index]
            self.current_split = example.split
        self.splits[example.split][1] = index + 1
        self.pending.append(example)
        if len(self.pending) >= _WRITE_BLOCK:
            self._flush()

    def _create(self, shape):
        height, width, _ = shape
        if height != width or not 1 <= height <= MAX_IMAGE_SIDE:
            raise ValueError(f"a store's images are square, with a side of 1 to {MAX_IMAGE_SIDE}; got {width}x{height}")
        self.file.create_dataset(
            "images", (0, height, width, 3), np.uint8, maxshape=(None, height, width, 3),
            chunks=(CHUNK_IMAGES, height, width, 3),
        )
        self.file.create_dataset("names", (0,), _TEXT, maxshape=(None,), chunks=(4096,))
        self.file.create_dataset("captions", (0,), _TEXT, maxshape=(None,), chunks=(4096,))
        offsets = self.file.create_dataset("caption_offsets", (1,), np.int64, maxshape=(None,), chunks=(4096,))
        offsets[0] = 0
        self.file.create_group("embeddings")

    def _flush(self):
        if not self.pending:
            return
        if "images" not in self.file:
            self._create(self.pending[0].image.shape)
        images = self.file["images"]
        for example in self.pending:
            if example.image.shape != images.shape[1:]:
                raise ValueError(
                    f"{example.name}: image shape {example.image.shape} differs from the "
                    f"store's {images.shape[1:]}"
                )
        new = len(self.pending)
        captions = [caption for example in self.pending for caption in example.captions]
        counts = np.cumsum([len(example.captions) for example in self.pending])
        _append(images, np.stack([example.image for example in self.pending]))
        _append(self.file["names"], [example.name for example in self.pending])
        _append(self.file["captions"], captions)
        _append(self.file["caption_offsets"], self.captions_count + counts)
        self.count += new
        self.captions_count += len(captions)
        self.pending = []

    def close(self, source, report):
        self._flush()
        if self.count == 0:
            raise ValueError(f"no usable image in the source; {report}")
        attrs = self.file.attrs
        attrs["format"] = FORMAT
        attrs["version"] = VERSION
        attrs["image_size"] = self.file["images"].shape[1]
        attrs["splits"] = json.dumps(self.splits)
        attrs["source"] = str(source)
        attrs["report"] = report


def _append(dataset, values):
    start = dataset.shape[0]
    dataset.resize(start + len(values), axis=0)
    dataset[start:] = values


def _progress_bar(target):
    from keras.utils import Progbar

    return Progbar(target, unit_name="image")


class Store:
    """Read access to a store, plus adding caption embeddings to its cache.

    Opening a store checks what it declares against its data (`check_layout`): a store is
    data a user may have been sent, so its shapes, counts, splits and attributes are never
    taken on trust.

    Args:
        path: the `.h5` file written by `write_store` / `kinpaint prepare`.

    Raises:
        FileNotFoundError: no such file.
        StoreError (a `ValueError`): the file is not a kinpaint store, or its attributes and
            datasets disagree; the message names the file and the attribute or dataset.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"store not found: {self.path}")
        try:
            with h5py.File(self.path, "r") as file:
                layout = check_layout(file, self.path)
        except (OSError, RuntimeError) as error:  # h5py's, for a damaged file
            raise StoreError(f"{self.path}: not a readable HDF5 file ({error})") from error
        self.num_images = layout["images"]
        self.num_captions = layout["captions"]
        self.embedding_names = layout["embeddings"]
        self.image_size = layout["image_size"]
        self.splits = layout["splits"]
        self.source = layout["source"]
        self.report = layout["report"]
        self._file = None

    def __len__(self):
        return self.num_images

    @property
    def has_captions(self):
        return self.num_captions > 0

    def split_range(self, split=None):
        """`(start, stop)` of a split, or of the whole store for `None`."""
        if split is None:
            return 0, self.num_images
        if split not in self.splits:
            raise KeyError(f"{self.path} has no split {split!r}; it has {sorted(self.splits)}")
        return self.splits[split]

    def _open(self):
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        return self._file

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_file"] = None
        return state

    def read_images(self, start, stop):
        """uint8 `(stop - start, H, W, 3)`."""
        return self._open()["images"][start:stop]

    def read_names(self, start, stop):
        return [name.decode("utf-8") for name in self._open()["names"][start:stop]]

    def _offsets(self, start, stop):
        return self._open()["caption_offsets"][start : stop + 1]

    def read_captions(self, start, stop):
        """A list of caption lists, one per image."""
        offsets = self._offsets(start, stop)
        flat = [text.decode("utf-8") for text in self._open()["captions"][offsets[0] : offsets[-1]]]
        return _split_flat(flat, offsets)

    def read_embeddings(self, name, start, stop):
        """A list of float32 arrays `(captions of image i, D)`, one per image."""
        if name not in self.embedding_names:
            raise KeyError(
                f"{self.path} has no cached embeddings {name!r}; it has {list(self.embedding_names)} "
                "(add them with Store.add_embeddings or `kinpaint prepare --embed`)"
            )
        offsets = self._offsets(start, stop)
        flat = self._open()["embeddings"][name][offsets[0] : offsets[-1]]
        return _split_flat(flat, offsets)

    def add_embeddings(self, name, encode, batch_size=1024, overwrite=False, progress=True):
        """Embed every caption once with `encode` and cache the vectors under `name`.

        Args:
            name: key of the cache, usually the encoder's name.
            encode: callable, list of `n` caption strings -> array `(n, D)`.
            overwrite: replace an existing cache of that name.

        The vectors are written to a temporary dataset and moved into place only
        when all captions are done.
        """
        if name in self.embedding_names and not overwrite:
            raise FileExistsError(
                f"{self.path} already caches embeddings {name!r}; pass overwrite=True to replace them"
            )
        self.close()
        bar = _progress_bar(self.num_captions) if progress else None
        with h5py.File(self.path, "a") as file:
            captions = file["captions"]
            group = file.require_group("embeddings")
            temporary = f"{INCOMPLETE_EMBEDDINGS}{name}"
            if temporary in group:
                del group[temporary]
            dataset = None
            try:
                for start in range(0, self.num_captions, batch_size):
                    texts = [text.decode("utf-8") for text in captions[start : start + batch_size]]
                    vectors = np.asarray(encode(texts), np.float32)
                    if vectors.ndim != 2 or len(vectors) != len(texts):
                        raise ValueError(
                            f"encode returned shape {vectors.shape} for {len(texts)} captions; "
                            "expected (captions, dimension)"
                        )
                    if dataset is None:
                        dataset = group.create_dataset(
                            temporary, (self.num_captions, vectors.shape[1]), np.float32
                        )
                    dataset[start : start + len(texts)] = vectors
                    if bar is not None:
                        bar.update(start + len(texts))
                if dataset is None:
                    raise ValueError(f"{self.path} has no captions to embed")
            except BaseException:
                if temporary in group:
                    del group[temporary]
                raise
            if name in group:
                del group[name]
            group.move(temporary, name)
        self.embedding_names = tuple(sorted(set(self.embedding_names) | {name}))

    def summary(self):
        """A few human-readable lines for `kinpaint info`."""
        size = os.path.getsize(self.path)
        lines = [
            f"store: {self.path} ({size / 2**20:.1f} MiB)",
            f"images: {self.num_images} of {self.image_size}x{self.image_size}",
            f"captions: {self.num_captions}"
            + (f" ({self.num_captions / max(self.num_images, 1):.1f} per image)" if self.num_captions else ""),
            "splits: " + ", ".join(f"{name} {stop - start}" for name, (start, stop) in self.splits.items()),
            "cached embeddings: " + (", ".join(self.embedding_names) or "none"),
        ]
        if self.source:
            lines.append(f"source: {self.source}")
        if self.report:
            lines.append("preparation: " + self.report.replace("\n", "\n  "))
        return "\n".join(lines)


def _split_flat(flat, offsets):
    base = offsets[0]
    return [flat[offsets[i] - base : offsets[i + 1] - base] for i in range(len(offsets) - 1)]
