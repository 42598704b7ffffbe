"""The record of one photograph of the corpus, and what every source needs: paths under a root,
readable names, image checks, and licences from Debian copyright files."""

import dataclasses
import fnmatch
import os
import re
import warnings

RESOURCE_SEPARATOR = "::"  # "FILE.rcc::path/inside" names an entry of a Qt resource file


@dataclasses.dataclass(frozen=True)
class Photograph:
    """One photograph of the corpus.

    Attributes:
        name: unique, `"PACKAGE/stem"`.
        package: the package that ships it.
        path: its file, or `"FILE.rcc::path/inside"` for an entry of a Qt resource file.
        licence: its licence, as the package's copyright file gives it.
        captions: the texts that come with it (titles, descriptions), possibly none.
        scene: photographs of one scene (a stereo pair, two shots of a monument) share it,
            so they stay in one split; empty means the photograph is its own scene.
    """

    name: str
    package: str
    path: str
    licence: str
    captions: tuple = ()
    scene: str = ""

    @property
    def scene_key(self):
        return self.scene or self.name

    def read_bytes(self):
        """The encoded image file (PNG, JPEG, ...)."""
        if RESOURCE_SEPARATOR in self.path:
            from kinpaint.data.corpus.qt_resources import read_resource

            container, entry = self.path.split(RESOURCE_SEPARATOR, 1)
            return read_resource(container, entry)
        with open(self.path, "rb") as file:
            return file.read()


def system_path(root, path):
    """`path` (absolute, e.g. `/usr/share/...`) under `root`, or as is when `root` is None."""
    return path if root is None else os.path.join(os.fspath(root), path.lstrip("/"))


def kept_files(folder, extensions, left_out, warn, package):
    """`(stem, file name, path)` of the readable images in `folder` (not its subfolders) with
    one of `extensions`, leaving out the stems in `left_out`, in name order."""
    for file in sorted(os.listdir(folder)):
        stem, extension = os.path.splitext(file)
        path = os.path.join(folder, file)
        if extension.lower() not in extensions or stem in left_out or not os.path.isfile(path):
            continue
        if image_is_readable(path, warn, package):
            yield stem, file, path


def warner(warn):
    """`warn`, or `warnings.warn` when it is None."""
    return warn if warn is not None else (lambda message: warnings.warn(message, stacklevel=3))


def readable_name(stem):
    """A file name as words: `"train-tracks1"` -> `"train tracks"`, `"basketball-court1-a"` ->
    `"basketball court"`, `"sun_behind_clouds"` -> `"sun behind clouds"`."""
    words = re.sub(r"[-_.]+", " ", stem).split()
    if len(words) > 1 and re.fullmatch(r"[a-z]|\d+", words[-1]):
        words = words[:-1]  # "...1-a": the take letter, or a lone number
    words = [re.sub(r"(?<=[a-zA-Z])\d+$", "", word) for word in words]  # "tracks1" -> "tracks"
    return " ".join(word for word in words if word)


def image_is_readable(path, warn, package):
    """True when Pillow decodes `path`; else `warn`s why and returns False.

    JPEG files are decoded in draft mode (1/8 scale: every byte is still read, so a
    truncated file is caught), PNG files are verified (chunk CRCs), others are loaded.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.format == "PNG":
                image.verify()
            else:
                if image.format == "JPEG":
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
        return True
    except Exception as error:  # noqa: BLE001  (a bad file is skipped, whatever Pillow raises)
        warn(f"{package}: skipped {path}: {error or type(error).__name__}")
        return False


def copyright_licence(copyright_path, source_path, fallback):
    """`"LICENCE (holders)"` from a machine-readable (DEP-5) Debian copyright file.

    The last `Files:` paragraph whose patterns match `source_path` (the file's path in the
    upstream source, e.g. `"Media/Backgrounds/Nature/lake.jpg"`) gives it, as DEP-5 says;
    `fallback` when the file is missing or not machine-readable.
    """
    try:
        with open(copyright_path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return fallback
    found = None
    for paragraph in re.split(r"\n[ \t]*\n", text):
        fields = _dep5_fields(paragraph)
        patterns = fields.get("files", "").split()
        if "license" in fields and any(fnmatch.fnmatchcase(source_path, pattern) for pattern in patterns):
            found = fields
    if found is None:
        return fallback
    licence = found["license"].splitlines()[0].strip()
    holders = [_holder(line) for line in found.get("copyright", "").splitlines()]
    holders = [holder for holder in holders if holder]
    if len(holders) > 2:
        holders = holders[:2] + [f"and {len(holders) - 2} more"]
    return f"{licence} ({'; '.join(holders)})" if holders else licence


def _dep5_fields(paragraph):
    fields, key = {}, None
    for line in paragraph.splitlines():
        if line.startswith("#"):
            continue
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            fields[key] = value.strip()
    return fields


def _holder(line):
    line = re.sub(r"^(copyright\s*)?(\([cC]\)\s*)?", "", line.strip(), flags=re.IGNORECASE)
    line = re.sub(r"\s*<[^>]*>", "", line)  # e-mail addresses
    line = re.sub(r",?\s*all rights reserved\.?", "", line, flags=re.IGNORECASE)
    return line.strip(" ,")
