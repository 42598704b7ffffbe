"""Pick the right reader for a source: a built-in name or a folder on disk."""

import glob
import os

from kinpaint.data.builtin import BUILTIN_DATASETS, BuiltinReader
from kinpaint.data.coco import CocoReader
from kinpaint.data.folder import CAPTIONS_FILE, FolderReader
from kinpaint.data.ift6266 import IFT6266Reader

FORMATS = ("ift6266", "coco", "folder") + BUILTIN_DATASETS


def detect_format(source):
    """Name the layout of `source`: a built-in name, or what its folder looks like."""
    if source in BUILTIN_DATASETS:
        return source
    if not os.path.exists(source):
        raise FileNotFoundError(
            f"source not found: {source} (give a folder, or one of the built-in "
            f"datasets {BUILTIN_DATASETS})"
        )
    if not os.path.isdir(source):
        raise NotADirectoryError(f"source must be a folder or a built-in name, got file {source}")
    if glob.glob(os.path.join(source, "annotations", "captions_*.json")):
        return "coco"
    has_split_folder = any(os.path.isdir(os.path.join(source, name)) for name in ("train2014", "val2014"))
    has_captions = glob.glob(os.path.join(glob.escape(source), "*.pkl")) or os.path.isfile(
        os.path.join(source, CAPTIONS_FILE))
    if has_split_folder and has_captions:  # a caption pickle, or the JSON lines it was converted to
        return "ift6266"
    return "folder"


def open_reader(source, format=None, size=64, counts=None, seed=0, language="en"):
    """A reader of `Example`s for `source` (format auto-detected unless given); `language`
    picks the captions' language of the built-in `objects`."""
    format = format or detect_format(source)
    if format in BUILTIN_DATASETS:
        return BuiltinReader(format, counts=counts, seed=seed, size=size, language=language)
    if language != "en":
        raise ValueError(f"captions in {language!r}: only the built-in 'objects' dataset has captions in other "
                         "languages; a folder's captions are read as they are")
    if counts:
        raise ValueError(f"counts (--count) set the size of a built-in dataset's splits; {source} is a {format} "
                         "folder, read whole")
    if format == "ift6266":
        return IFT6266Reader(source, size=size)
    if format == "coco":
        return CocoReader.from_root(source, size=size)
    if format == "folder":
        return FolderReader(source, size=size)
    raise ValueError(f"unknown format {format!r}; choose one of {FORMATS}")
