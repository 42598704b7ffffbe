"""What every reader yields (`Example`), and what it tells about bad input (`Report`)."""

import collections
import dataclasses
import os

import numpy as np

from kinpaint.images import ImageError, load_image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SPLIT_ORDER = ("train", "val", "test")


@dataclasses.dataclass
class Example:
    """One image with its captions.

    Attributes:
        name: identifier (the file stem for file-based readers).
        image: uint8 array `(H, W, 3)`.
        captions: list of non-empty caption strings (may be empty for uncaptioned data).
        split: split name, e.g. `"train"`.
    """

    name: str
    image: np.ndarray
    captions: list
    split: str


class SkipExample(Exception):
    """Raised by a reader for an input that is left out; the message is the reason."""


class Report:
    """Counts of what a reader skipped, converted or dropped, with example names."""

    def __init__(self):
        self.skipped = collections.defaultdict(list)
        self.converted = collections.Counter()
        self.dropped_captions = collections.Counter()
        self.notes = []

    @property
    def num_skipped(self):
        return sum(len(names) for names in self.skipped.values())

    def skip(self, name, reason):
        self.skipped[reason].append(name)

    def summary(self, examples_per_reason=3):
        """A few human-readable lines."""
        lines = [f"skipped {self.num_skipped} file(s)"]
        for reason, names in sorted(self.skipped.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(names[:examples_per_reason])
            more = f", ... (+{len(names) - examples_per_reason})" if len(names) > examples_per_reason else ""
            lines.append(f"  {len(names)} x {reason}: {shown}{more}")
        for conversion, count in sorted(self.converted.items()):
            lines.append(f"converted {count} image(s): {conversion}")
        for reason, count in sorted(self.dropped_captions.items()):
            lines.append(f"dropped {count} caption(s): {reason}")
        lines.extend(self.notes)
        return "\n".join(lines)


def clean_captions(raw_captions, report):
    """Decode and filter captions; count what was dropped in `report`.

    Bytes must be UTF-8; empty or whitespace-only captions are dropped.
    Returns a list of stripped strings.
    """
    if isinstance(raw_captions, (str, bytes)):
        raw_captions = [raw_captions]
    captions = []
    for caption in raw_captions:
        if isinstance(caption, bytes):
            try:
                caption = caption.decode("utf-8")
            except UnicodeDecodeError:
                report.dropped_captions["not valid UTF-8"] += 1
                continue
        if not isinstance(caption, str):
            report.dropped_captions[f"not text ({type(caption).__name__})"] += 1
            continue
        caption = " ".join(caption.split())
        if not caption:
            report.dropped_captions["empty"] += 1
            continue
        captions.append(caption)
    return captions


class FileReader:
    """Base of the file-based readers: list candidates, read each, report the rest.

    Subclasses implement `candidates()` -> list of `(split, path)` and
    `captions_for(path)` -> list of raw captions (or `None` for uncaptioned data).
    """

    require_captions = True

    def __init__(self, size=64, resize=True):
        self.size = size
        self.resize = resize
        self.report = Report()
        self._candidates = None

    def candidates(self):
        raise NotImplementedError

    def captions_for(self, path):
        raise NotImplementedError

    def _sorted_candidates(self):
        if self._candidates is None:
            order = {name: index for index, name in enumerate(SPLIT_ORDER)}
            self._candidates = sorted(
                self.candidates(), key=lambda item: (order.get(item[0], len(order)), item[0], item[1])
            )
        return self._candidates

    def __len__(self):
        return len(self._sorted_candidates())

    def __iter__(self):
        for split, path in self._sorted_candidates():
            try:
                yield self.read(split, path)
            except SkipExample as reason:
                self.report.skip(os.fspath(path), str(reason))

    def read(self, split, path):
        name = os.path.splitext(os.path.basename(path))[0]
        raw = self.captions_for(path)
        captions = [] if raw is None else clean_captions(raw, self.report)
        if self.require_captions and raw is None:
            raise SkipExample("no caption entry")
        if self.require_captions and not captions:
            raise SkipExample("no usable caption (all empty or not UTF-8)")
        try:
            image, conversions = load_image(path, self.size, resize=self.resize)
        except FileNotFoundError as error:
            raise SkipExample("file missing") from error
        except ImageError as error:
            raise SkipExample(error.reason) from error
        self.report.converted.update(_conversion_kind(note) for note in conversions)
        return Example(name, image, captions, split)


def list_images(folder):
    """Image files below `folder`, recursively, sorted."""
    found = []
    for directory, _, files in os.walk(folder):
        found.extend(
            os.path.join(directory, name)
            for name in files
            if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith(".")
        )
    return sorted(found)


def require_directory(path, what="folder"):
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what} not found: {path}")


def _conversion_kind(note):
    """Group 'resized 80x60->64x64' notes under one key."""
    return "resized" if note.startswith("resized") else note
