"""Reader for the IFT6266 (2017) layout of 64x64 MSCOCO images.

    root/
      train2014/COCO_train2014_000000000009.jpg ...   64x64 JPEGs
      val2014/...
      dict_key_imgID_value_caps_train_and_valid.pkl   {file stem: [captions]}
      captions.jsonl                                  or the same as JSON lines (convert_caption_pickle)

The pickle was written by Python 2; its byte strings are decoded as UTF-8. It is read as
plain data only (`DataOnlyUnpickler`), and `convert_caption_pickle` writes it once as JSON
lines, which the reader then takes instead.
"""

import glob
import json
import os
import pickle

from kinpaint.data.folder import CAPTIONS_FILE, load_captions_jsonl
from kinpaint.data.records import FileReader, list_images, require_directory
from kinpaint.files import atomic_path, check_can_write

SPLIT_FOLDERS = {"train2014": "train", "val2014": "val"}


class DataOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds only plain data (dicts, lists, tuples, strings, bytes, numbers).

    A pickle can name any function to call while it loads (its `__reduce__`), which runs
    code chosen by whoever wrote the file. Caption tables need only the constructors of
    plain data (`SAFE_CONSTRUCTORS`; Python 3 writes bytes in protocol 2 as
    `_codecs.encode(text, "latin1")`); every other request is refused, so reading a caption
    pickle never runs code.
    """

    SAFE_CONSTRUCTORS = {("_codecs", "encode"), *{(builtins, name) for builtins in ("builtins", "__builtin__")
                                                  for name in ("set", "frozenset", "bytes", "bytearray")}}

    def find_class(self, module, name):
        if (module, name) in self.SAFE_CONSTRUCTORS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it asks to call {module}.{name} while loading; kinpaint reads caption pickles as plain data "
            "only (dicts, lists and strings), so that a pickle cannot run code")


def load_caption_pickle(path):
    """Read a pickled `{image id: [captions]}` dict (Python 2 or 3 pickles) as plain data only.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a pickle of a dict, or asks to run code while loading
            (see `DataOnlyUnpickler`); the message names the file.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"caption pickle not found: {path}")
    try:
        with open(path, "rb") as handle:
            table = DataOnlyUnpickler(handle, encoding="bytes").load()
    except Exception as error:  # pickle raises many types for corrupt input
        raise ValueError(f"{path}: not a readable caption pickle ({error})") from error
    if not isinstance(table, dict):
        raise ValueError(f"{path}: expected a dict of image id -> captions, got {type(table).__name__}")
    return {
        (key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)): value
        for key, value in table.items()
    }


def find_caption_pickle(root):
    """The single `*.pkl` file in `root`.

    Raises:
        FileNotFoundError: none, or several; the message names `root`.
    """
    pickles = sorted(glob.glob(os.path.join(glob.escape(os.fspath(root)), "*.pkl")))
    if len(pickles) != 1:
        raise FileNotFoundError(f"{root}: expected exactly one caption pickle (*.pkl), found {len(pickles)}; "
                                "name it explicitly")
    return pickles[0]


def convert_caption_pickle(root, out=None, captions=None, force=False):
    """Write the caption pickle of an IFT6266 folder once as JSON lines, so it never needs loading again.

    Each line is `{"file": "train2014/NAME.jpg", "captions": [...]}` for an image of `root`
    (the plain-folder `captions.jsonl` format); `IFT6266Reader` reads `root/captions.jsonl`
    instead of the pickle when it exists.

    Args:
        root: the IFT6266 folder.
        out: the JSON-lines file to write; default `root/captions.jsonl`.
        captions: the pickle; default the single `*.pkl` in `root`.
        force: replace an existing `out` (never the pickle itself).

    Returns:
        `(images written, pickle entries without an image in root)`.
    """
    require_directory(root, "IFT6266 root folder")
    captions = captions or find_caption_pickle(root)
    out = os.fspath(out or os.path.join(root, CAPTIONS_FILE))
    if os.path.isdir(out):
        raise IsADirectoryError(f"{out} is a folder; give the JSON-lines file to write, such as "
                                f"{os.path.join(out, CAPTIONS_FILE)}")
    if os.path.exists(out) and os.path.samefile(out, captions):
        raise ValueError(f"{out} is the caption pickle itself; choose another file to write")
    check_can_write(out, force)
    table = load_caption_pickle(captions)
    images = {os.path.splitext(os.path.basename(path))[0]: os.path.relpath(path, root)
              for folder in SPLIT_FOLDERS for path in list_images(os.path.join(root, folder))}
    lines = [json.dumps({"file": images[name].replace(os.sep, "/"), "captions": _plain_captions(table[name])},
                        ensure_ascii=False) for name in sorted(table) if name in images]
    with atomic_path(out) as temporary:
        with open(temporary, "w", encoding="utf-8") as file:
            file.writelines(line + "\n" for line in lines)
    return len(lines), len(set(table) - set(images))


def _plain_captions(captions):
    """A pickle's captions as JSON-ready strings: bytes decoded (UTF-8, bad bytes replaced), a lone caption listed."""
    if isinstance(captions, (str, bytes)):
        captions = [captions]
    if not isinstance(captions, (list, tuple)):
        return []
    return [caption.decode("utf-8", "replace") if isinstance(caption, bytes) else caption for caption in captions
            if isinstance(caption, (str, bytes))]


class IFT6266Reader(FileReader):
    """Yields `Example`s from the IFT6266 layout; images must already be `size` x `size`.

    Args:
        root: folder holding `train2014/` and/or `val2014/`.
        captions: the captions: a pickle, or JSON lines (`.jsonl`, see `convert_caption_pickle`);
            by default `root/captions.jsonl` when it exists, else the single `*.pkl` file in `root`.
        size: expected image side; other sizes are skipped and reported.
    """

    def __init__(self, root, captions=None, size=64):
        super().__init__(size=size, resize=False)
        require_directory(root, "IFT6266 root folder")
        self.root = root
        folders = [name for name in SPLIT_FOLDERS if os.path.isdir(os.path.join(root, name))]
        if not folders:
            raise FileNotFoundError(
                f"{root}: expected a train2014/ or val2014/ folder of 64x64 images"
            )
        if captions is None:
            converted = os.path.join(root, CAPTIONS_FILE)
            captions = converted if os.path.isfile(converted) else find_caption_pickle(root)
        self.captions_path = os.fspath(captions)
        if self.captions_path.endswith(".jsonl"):
            self.table = {os.path.splitext(os.path.basename(name))[0]: value
                          for name, value in load_captions_jsonl(self.captions_path).items()}
            self.report.notes.append(f"captions read from {self.captions_path}")
        else:
            self.table = load_caption_pickle(self.captions_path)
        self.folders = folders

    def candidates(self):
        return [
            (SPLIT_FOLDERS[folder], path)
            for folder in self.folders
            for path in list_images(os.path.join(self.root, folder))
        ]

    def captions_for(self, path):
        return self.table.get(os.path.splitext(os.path.basename(path))[0])
