"""Reader for the IFT6266 (2017) layout of 64x64 MSCOCO images.

    root/
      train2014/COCO_train2014_000000000009.jpg ...   64x64 JPEGs
      val2014/...
      dict_key_imgID_value_caps_train_and_valid.pkl   {file stem: [captions]}

The pickle was written by Python 2; its byte strings are decoded as UTF-8.
"""

import glob
import os
import pickle

from kinpaint.data.records import FileReader, list_images, require_directory

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


class IFT6266Reader(FileReader):
    """Yields `Example`s from the IFT6266 layout; images must already be `size` x `size`.

    Args:
        root: folder holding `train2014/` and/or `val2014/`.
        captions: the caption pickle; by default the single `*.pkl` file in `root`.
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
            pickles = sorted(glob.glob(os.path.join(root, "*.pkl")))
            if len(pickles) != 1:
                raise FileNotFoundError(
                    f"{root}: expected exactly one caption pickle (*.pkl), found {len(pickles)}; "
                    "name it explicitly"
                )
            captions = pickles[0]
        self.captions_path = captions
        self.table = load_caption_pickle(captions)
        self.folders = folders

    def candidates(self):
        return [
            (SPLIT_FOLDERS[folder], path)
            for folder in self.folders
            for path in list_images(os.path.join(self.root, folder))
        ]

    def captions_for(self, path):
        return self.table.get(os.path.splitext(os.path.basename(path))[0])
