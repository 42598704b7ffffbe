"""The photo corpus: every photograph kept from the packages that ship them, split by photograph.

    entries = photo_catalogue()              # the system's packages
    entries = photo_catalogue(root="pkgs")   # packages extracted with `dpkg-deb -x NAME.deb pkgs`

Splits are by scene (a photograph, or the photographs of one scene together), never by
crop, and fixed: a scene's split comes from a hash of its name (`split_of`), about
80 / 10 / 10 train / val / test, so it does not change when other packages are installed
or missing. A package whose scenes all hashed outside `test` gives its first scene (in
hash order) to `test`, so every package is represented there.
"""

import dataclasses
import hashlib
import importlib
import io

SOURCES = ("gcompris", "scratch", "tuxpaint", "opencv_doc", "kalzium", "mvtb", "wheels")
SPLIT_FRACTIONS = (("test", 0.10), ("val", 0.10), ("train", 0.80))  # in hash order


@dataclasses.dataclass(frozen=True)
class CatalogueEntry:
    """A photograph of the corpus: `name`, `package`, `path`, `licence`, `size` `(width,
    height)`, `split`, `captions` (texts that come with it) and `scene`."""

    name: str
    package: str
    path: str
    licence: str
    size: tuple
    split: str
    captions: tuple
    scene: str
    photograph: object = dataclasses.field(repr=False, compare=False, default=None)

    def load(self):
        """The photograph as a Pillow RGB image."""
        from PIL import Image

        with Image.open(io.BytesIO(self.photograph.read_bytes())) as image:
            return image.convert("RGB")


def source_module(name):
    return importlib.import_module(f"kinpaint.data.corpus.photo_sources.{name}")


def photo_catalogue(root=None, warn=None, sources=SOURCES):
    """One `CatalogueEntry` per photograph kept, from every source whose package is there.

    Args:
        root: a folder the Debian packages were extracted into (`ROOT/usr/share/...`);
            `None` reads the system paths.
        warn: told of every file skipped (default: `warnings.warn`).
        sources: the source modules to read (names in `SOURCES`, or modules with `find`).
    """
    warn = warn or _warn
    photographs = []
    for source in sources:
        module = source_module(source) if isinstance(source, str) else source
        photographs += module.find(root=root, warn=warn)
    names = [photograph.name for photograph in photographs]
    if len(set(names)) != len(names):
        raise ValueError(f"two photographs share a name: {sorted({n for n in names if names.count(n) > 1})}")
    sized = [(photograph, _size(photograph, warn)) for photograph in photographs]
    kept = [(photograph, size) for photograph, size in sized if size is not None]
    splits = assign_splits([photograph for photograph, _ in kept])
    entries = [CatalogueEntry(photograph.name, photograph.package, photograph.path, photograph.licence, size,
                              splits[photograph.scene_key], tuple(photograph.captions), photograph.scene_key,
                              photograph)
               for photograph, size in kept]
    return entries


def split_of(scene):
    """The split a scene's name hashes to (see the module docstring)."""
    position = _hash_fraction(scene)
    for split, fraction in SPLIT_FRACTIONS:
        if position < fraction:
            return split
        position -= fraction
    return "train"


def assign_splits(photographs):
    """`{scene: split}` for the photographs: `split_of` each scene, then one test scene per package."""
    splits = {photograph.scene_key: split_of(photograph.scene_key) for photograph in photographs}
    by_package = {}
    for photograph in photographs:
        by_package.setdefault(photograph.package, set()).add(photograph.scene_key)
    for scenes in by_package.values():
        if not any(splits[scene] == "test" for scene in scenes):
            splits[min(scenes, key=_hash_fraction)] = "test"
    return splits


def corpus_report(root=None):
    """What each source found, and the command that installs what is missing."""
    lines, missing = [], []
    for name in SOURCES:
        module = source_module(name)
        found = module.find(root=root, warn=lambda message: None)
        lines.append(f"{module.PACKAGE:<28} {module.REGISTRY:<7} {len(found):>4} photographs")
        if not found:
            missing.append(module.INSTALL)
    if missing:
        lines.append("missing; install with:")
        lines += [f"  {command}" for command in missing]
        lines.append(f"all at once: {corpus_install_hint()}")
    return "\n".join(lines)


def contact_sheet(entries, thumbnail=96, columns=8):
    """Thumbnails of `entries` in rows of `columns`, each fitted into a `thumbnail` square,
    as uint8 `(H, W, 3)`: a picture to check by eye what the catalogue kept."""
    import numpy as np
    from PIL import Image

    entries = list(entries)
    rows = max(1, -(-len(entries) // columns))
    sheet = Image.new("RGB", (columns * (thumbnail + 2) + 2, rows * (thumbnail + 2) + 2), (255, 255, 255))
    for index, entry in enumerate(entries):
        picture = entry.load()
        picture.thumbnail((thumbnail, thumbnail), Image.Resampling.LANCZOS)
        left = 2 + (index % columns) * (thumbnail + 2) + (thumbnail - picture.size[0]) // 2
        top = 2 + (index // columns) * (thumbnail + 2) + (thumbnail - picture.size[1]) // 2
        sheet.paste(picture, (left, top))
    return np.asarray(sheet)


def corpus_install_hint():
    """The commands that install every package of the corpus, and the no-root alternative."""
    modules = [source_module(name) for name in SOURCES]
    debian = " ".join(module.PACKAGE for module in modules if module.REGISTRY == "debian")
    return (f"install them with: sudo apt-get install {debian} && pip install \"kinpaint[photos]\" "
            f"(without root: apt-get download {debian} && for deb in *.deb; do dpkg-deb -x $deb DIR; done, "
            "then root=DIR / --root DIR)")


def _hash_fraction(text):
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) / 16**8


def _size(photograph, warn):
    from PIL import Image

    try:
        with Image.open(io.BytesIO(photograph.read_bytes())) as image:
            image.verify()
            return image.size
    except Exception as error:  # noqa: BLE001  (a bad file is skipped, whatever Pillow raises)
        warn(f"skipped {photograph.name} ({photograph.path}): {error}")
        return None


def _warn(message):
    import warnings

    warnings.warn(message, stacklevel=3)
