"""What a store declares, checked against its data when it is opened.

A store is data a user may have been sent, so nothing it says about itself is taken on trust:
`check_layout` compares the attributes (format, version, image_size, splits, source, report)
with the datasets' shapes and dtypes, and checks that every dataset's data is written in the
file itself (every chunk present, nothing kept in another file). It reads only metadata and
the caption offsets (`N + 1` integers), never the images.
"""

import json
import math
import os

import h5py
import numpy as np

FORMAT = "kinpaint-store"
VERSION = 1
MAX_IMAGE_SIDE = 1024  # the largest image side of a store (`kinpaint prepare --size`)
INCOMPLETE_EMBEDDINGS = ".incomplete-"  # prefix of a cache `Store.add_embeddings` has not finished


class StoreError(ValueError):
    """A file that is not a kinpaint store, or a store whose attributes disagree with its data;
    the message names the file and the attribute or dataset at fault."""


def check_layout(file, path):
    """What `Store` keeps of an open store, after checking it.

    Returns:
        a dict: `images` (N), `captions` (C), `image_size`, `splits` (`{name: (start, stop)}`),
        `embeddings` (the names of the finished caches), `source`, `report`.

    Raises:
        StoreError: the message names `path` and the attribute or dataset at fault.
    """
    attrs = file.attrs
    if "format" not in attrs:
        raise StoreError(f"{path}: not a kinpaint store (run `kinpaint prepare` to make one)")
    found = _attribute(attrs, path, "format")
    if not isinstance(found, str) or found != FORMAT:
        raise StoreError(f"{path}: not a kinpaint store (its attribute 'format' is {_describe(found)}, not "
                         f"{FORMAT!r}; run `kinpaint prepare` to make one)")
    version = _integer_attribute(attrs, path, "version")
    if version > VERSION:
        raise StoreError(f"{path}: store version {version} (attribute 'version') is newer than this kinpaint's "
                         f"({VERSION}); update kinpaint")
    if version < 1:
        raise StoreError(f"{path}: attribute 'version' is {version}; store versions start at 1")
    count, side = _check_images(file, path, _integer_attribute(attrs, path, "image_size"))
    _check_names(file, path, count)
    captions = _check_captions(file, path, count)
    return {
        "images": count,
        "captions": captions,
        "image_size": side,
        "splits": _check_splits(_text_attribute(attrs, path, "splits"), path, count),
        "embeddings": _check_embeddings(file, path, captions),
        "source": _text_attribute(attrs, path, "source", ""),
        "report": _text_attribute(attrs, path, "report", ""),
    }


def _check_images(file, path, image_size):
    """`(N, side)` of the images: uint8 `(N, side, side, 3)`, `side` = the attribute `image_size`."""
    images = _dataset(file, path, "images")
    shape = images.shape
    if images.dtype != np.uint8 or len(shape) != 4 or shape[3] != 3:
        raise StoreError(f"{path}: dataset 'images' is {images.dtype} {shape}; a store's images are uint8 "
                         "(count, side, side, 3)")
    if shape[1] != shape[2] or not 1 <= shape[1] <= MAX_IMAGE_SIDE:
        raise StoreError(f"{path}: dataset 'images' declares images of {shape[2]}x{shape[1]}; a store's images "
                         f"are square, with a side of 1 to {MAX_IMAGE_SIDE}")
    if image_size != shape[1]:
        raise StoreError(f"{path}: attribute 'image_size' is {image_size} but dataset 'images' holds "
                         f"{shape[1]}x{shape[1]} images")
    if shape[0] < 1:
        raise StoreError(f"{path}: dataset 'images' holds no image")
    _check_stored(images, path)
    return int(shape[0]), int(shape[1])


def _check_names(file, path, count):
    names = _dataset(file, path, "names")
    if h5py.check_string_dtype(names.dtype) is None or names.shape != (count,):
        raise StoreError(f"{path}: dataset 'names' is {names.dtype} {names.shape}; it should hold one text per "
                         f"image ({count})")
    _check_stored(names, path)


def _check_captions(file, path, count):
    """The number of captions C: `captions` texts `(C,)` and `caption_offsets` integers `(N + 1,)`
    going from 0 to C without decreasing (none at all for a store without captions)."""
    if "captions" not in file:
        return 0
    captions = _dataset(file, path, "captions")
    if h5py.check_string_dtype(captions.dtype) is None or len(captions.shape) != 1:
        raise StoreError(f"{path}: dataset 'captions' is {captions.dtype} {captions.shape}; it should be texts "
                         "(captions,)")
    offsets = _dataset(file, path, "caption_offsets")
    if not np.issubdtype(offsets.dtype, np.integer) or offsets.shape != (count + 1,):
        raise StoreError(f"{path}: dataset 'caption_offsets' is {offsets.dtype} {offsets.shape}; it should be "
                         f"integers ({count + 1},), one more than the images")
    _check_stored(captions, path)
    _check_stored(offsets, path)
    values = offsets[...]
    total = captions.shape[0]
    if values[0] != 0 or values[-1] != total or (np.diff(values) < 0).any():
        raise StoreError(f"{path}: dataset 'caption_offsets' should go from 0 to the {total} captions without "
                         f"decreasing; it goes from {values[0]} to {values[-1]}"
                         + (" and decreases" if (np.diff(values) < 0).any() else ""))
    return int(total)


def _check_embeddings(file, path, captions):
    """The names of the finished caption caches: float `(C, D)` each."""
    if "embeddings" not in file:
        return ()
    group = file["embeddings"]
    if not isinstance(group, h5py.Group):
        raise StoreError(f"{path}: 'embeddings' should be a group of datasets, one per encoder")
    names = []
    for name in group:
        if name.startswith(INCOMPLETE_EMBEDDINGS):
            continue
        vectors = _dataset(group, path, name, where=f"embeddings/{name}")
        if (not np.issubdtype(vectors.dtype, np.floating) or len(vectors.shape) != 2
                or vectors.shape[0] != captions or vectors.shape[1] < 1):
            raise StoreError(f"{path}: dataset 'embeddings/{name}' is {vectors.dtype} {vectors.shape}; it should be "
                             f"floats ({captions}, dimension), one vector per caption")
        _check_stored(vectors, path, f"embeddings/{name}")
        names.append(name)
    return tuple(names)


def _check_splits(text, path, count):
    """`{name: (start, stop)}` from the JSON attribute: integers with `0 <= start <= stop <= N`,
    no two splits sharing an image."""
    try:
        table = json.loads(text)
    except ValueError as error:
        raise StoreError(f"{path}: attribute 'splits' is not JSON ({error})") from None
    if not isinstance(table, dict):
        raise StoreError(f"{path}: attribute 'splits' should be a JSON object {{name: [start, stop]}}; it is "
                         f"{_describe(table)}")
    splits = {}
    for name, span in table.items():
        if (not isinstance(span, list) or len(span) != 2
                or not all(isinstance(end, int) and not isinstance(end, bool) for end in span)):
            raise StoreError(f"{path}: attribute 'splits' gives {name!r} as {_describe(span)}; a split is two whole "
                             "numbers [start, stop]")
        start, stop = span
        if not 0 <= start <= stop <= count:
            raise StoreError(f"{path}: attribute 'splits' gives {name!r} images {start} to {stop}, outside the "
                             f"store's {count} images (0 <= start <= stop <= {count})")
        splits[name] = (start, stop)
    ordered = sorted(splits.items(), key=lambda item: item[1])
    for (first, (_, first_stop)), (second, (second_start, _)) in zip(ordered, ordered[1:]):
        if second_start < first_stop:
            raise StoreError(f"{path}: attribute 'splits' gives splits {first!r} and {second!r} the same images "
                             f"(from {second_start} to {first_stop}); splits must not overlap")
    return splits


def _check_stored(dataset, path, where=None):
    """Raise unless every value `dataset` declares is written in the store itself: a declared
    shape with missing chunks reads as zeros, and external or virtual data lives elsewhere."""
    where = where or dataset.name.lstrip("/")
    if dataset.external or dataset.is_virtual:
        raise StoreError(f"{path}: dataset {where!r} keeps its data in another file; a store holds its own data")
    if dataset.size == 0:
        return
    if dataset.chunks is None:
        written = dataset.id.get_storage_size() > 0  # a contiguous dataset is allocated whole, or not at all
    else:
        expected = math.prod(-(-length // chunk) for length, chunk in zip(dataset.shape, dataset.chunks))
        written = dataset.id.get_num_chunks() == expected
    if not written or dataset.id.get_storage_size() > os.path.getsize(path):
        raise StoreError(f"{path}: dataset {where!r} declares {dataset.shape[0]} entries {dataset.shape} but the "
                         "file does not hold their data")


def _dataset(group, path, name, where=None):
    found = group.get(name)
    if not isinstance(found, h5py.Dataset):
        raise StoreError(f"{path}: {'no' if found is None else 'not a'} dataset {where or name!r}; "
                         "`kinpaint prepare` writes whole stores")
    return found


def _attribute(attrs, path, name, default=None):
    try:
        value = attrs[name] if default is None else attrs.get(name, default)
    except KeyError:
        raise StoreError(f"{path}: attribute {name!r} is missing; `kinpaint prepare` writes whole stores") from None
    except (OSError, TypeError, ValueError) as error:
        raise StoreError(f"{path}: attribute {name!r} cannot be read ({error})") from None
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError(f"{path}: attribute {name!r} is not UTF-8 text") from None
    return value


def _integer_attribute(attrs, path, name):
    value = _attribute(attrs, path, name)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise StoreError(f"{path}: attribute {name!r} should be a whole number; it is {_describe(value)}")
    return int(value)


def _text_attribute(attrs, path, name, default=None):
    value = _attribute(attrs, path, name, default)
    if not isinstance(value, str):
        raise StoreError(f"{path}: attribute {name!r} should be text; it is {_describe(value)}")
    return value


def _describe(value):
    """A short account of a value for a message: never more than a line."""
    if isinstance(value, np.ndarray):
        return f"an array {value.dtype} {value.shape}"
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."
