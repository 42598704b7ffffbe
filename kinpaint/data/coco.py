"""Reader for MSCOCO as downloaded: image folders and `captions_*.json` annotations.

    root/
      annotations/captions_train2014.json   {"images": [{"id", "file_name"}],
      annotations/captions_val2014.json      "annotations": [{"image_id", "caption"}]}
      train2014/*.jpg
      val2014/*.jpg

Images are centre-cropped to a square and resized to `size` x `size`. A `file_name` that
leaves its image folder (absolute, or with `..`) is never read: the image is skipped and
named in the report.
"""

import collections
import glob
import json
import os
import re

from kinpaint.data.records import FileReader, require_directory


def load_coco_captions(path):
    """Read a COCO captions file into `{file_name: [captions]}`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, or not a COCO captions file (an image without an `id` or a
            `file_name`, an annotation that is not an object...); the message names the file
            and the entry.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"COCO annotation file not found: {path}")
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error})") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(
            data.get("annotations"), list):
        raise ValueError(f"{path}: expected a COCO captions file with lists 'images' and 'annotations'")
    names = {}
    for index, image in enumerate(data["images"]):
        if not (isinstance(image, dict) and _is_id(image.get("id")) and isinstance(image.get("file_name"), str)
                and image["file_name"]):
            raise ValueError(f"{path}: images[{index}] is not {{\"id\": ..., \"file_name\": \"...\"}}: "
                             f"{_shown(image)}")
        names[image["id"]] = image["file_name"]
    captions = collections.defaultdict(list)
    for index, annotation in enumerate(data["annotations"]):
        if not isinstance(annotation, dict) or not _is_id(annotation.get("image_id")):
            raise ValueError(f"{path}: annotations[{index}] is not {{\"image_id\": ..., \"caption\": \"...\"}}: "
                             f"{_shown(annotation)}")
        name = names.get(annotation["image_id"])
        if name is not None:
            captions[name].append(annotation.get("caption", ""))
    return {name: captions.get(name) for name in names.values()}


def _is_id(value):
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _shown(value, length=60):
    text = json.dumps(value)
    return text if len(text) <= length else text[: length - 3] + "..."


def inside(name):
    """Whether a `file_name` stays inside its image folder: relative, and without `..`."""
    return not os.path.isabs(name) and os.pardir not in os.path.normpath(name).split(os.sep) and "\0" not in name


def split_of(annotation_path):
    """'captions_val2014.json' -> 'val'; anything unrecognised -> 'train'."""
    match = re.match(r"captions_([a-z]+)", os.path.basename(annotation_path))
    return match.group(1) if match and match.group(1) in ("train", "val", "test") else "train"


class CocoReader(FileReader):
    """Yields `Example`s from (image folder, annotation file) pairs.

    Args:
        pairs: list of `(image_folder, annotation_file)`; see `CocoReader.from_root`.
        size: output side; images are centre-cropped and resized.
    """

    def __init__(self, pairs, size=64):
        super().__init__(size=size, resize=True)
        self.tables = []
        for folder, annotations in pairs:
            require_directory(folder, "COCO image folder")
            self.tables.append((folder, split_of(annotations), load_coco_captions(annotations)))
        self._captions = {}

    @classmethod
    def from_root(cls, root, size=64):
        """Find `annotations/captions_<name>.json` and the image folder `<name>/` in `root`."""
        require_directory(root, "COCO root folder")
        files = sorted(glob.glob(os.path.join(root, "annotations", "captions_*.json")))
        if not files:
            raise FileNotFoundError(f"{root}: no annotations/captions_*.json file")
        pairs = []
        for annotations in files:
            folder = os.path.join(root, os.path.basename(annotations)[len("captions_") : -len(".json")])
            pairs.append((folder, annotations))
        return cls(pairs, size=size)

    def candidates(self):
        found = []
        for folder, split, table in self.tables:
            for name, captions in table.items():
                if not inside(name):
                    self.report.skip(name, "file_name outside the image folder (absolute or ..), not read")
                    continue
                path = os.path.join(folder, name)
                self._captions[path] = captions
                found.append((split, path))
        return found

    def captions_for(self, path):
        return self._captions.get(path)
