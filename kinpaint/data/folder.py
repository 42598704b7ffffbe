"""Reader for a plain folder of images, with optional captions.

    root/
      any/path/picture.jpg ...
      captions.jsonl        optional: one {"file": "any/path/picture.jpg", "captions": [...]} a line

Images in a top-level `train/`, `val/` or `test/` folder get that split; others go to
`train`. When `captions.jsonl` exists, images without an entry are skipped and reported.
"""

import json
import os

from kinpaint.data.records import FileReader, SPLIT_ORDER, list_images, require_directory
from kinpaint.files import numbered_lines

CAPTIONS_FILE = "captions.jsonl"


def load_captions_jsonl(path):
    """Read `captions.jsonl` into `{relative file path: [captions]}`.

    Raises:
        ValueError: a line is not UTF-8, not JSON, or lacks "file" / "captions";
            the message names the file and line number.
    """
    table = {}
    for _, where, text in numbered_lines(path):
        line = text.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where}: not valid JSON ({error})") from error
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry["file"] or not (
                isinstance(entry.get("captions"), (list, str))):
            raise ValueError(f'{where}: expected {{"file": "path/of/picture.jpg", "captions": [...]}}')
        table[os.path.normpath(entry["file"])] = entry["captions"]
    return table


class FolderReader(FileReader):
    """Yields `Example`s from every image below `root`, centre-cropped and resized to `size`."""

    def __init__(self, root, size=64):
        super().__init__(size=size, resize=True)
        require_directory(root, "image folder")
        self.root = root
        captions_path = os.path.join(root, CAPTIONS_FILE)
        self.table = load_captions_jsonl(captions_path) if os.path.exists(captions_path) else None
        self.require_captions = self.table is not None

    def candidates(self):
        found = []
        for path in list_images(self.root):
            relative = os.path.relpath(path, self.root)
            top = relative.split(os.sep, 1)[0]
            found.append((top if top in SPLIT_ORDER and top != relative else "train", path))
        if self.table is not None:
            present = {os.path.normpath(os.path.relpath(path, self.root)) for _, path in found}
            orphans = len(set(self.table) - present)
            if orphans:
                self.report.notes.append(f"{orphans} caption entr(ies) name no image file")
        return found

    def captions_for(self, path):
        if self.table is None:
            return None
        return self.table.get(os.path.normpath(os.path.relpath(path, self.root)))
