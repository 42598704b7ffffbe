"""Tux Paint's photographic stamps: cut-out photographs of real objects and animals, each
with a human-written description in many languages (Debian `tuxpaint-stamps-default`, GPL-2).

    stamps = photographic_stamps()           # the system's package
    stamps = photographic_stamps(root=DIR)   # `dpkg-deb -x tuxpaint-stamps-default_*.deb DIR`

A stamp is `NAME.png` (with transparency) under `/usr/share/tuxpaint/stamps/`, beside
`NAME.txt`: its first line is the English description ("A drake."), the next ones its
translations, one per language, `LANG.utf8=TEXT` ("fr.utf8=Un canard.", "de.utf8=Ein
Erpel."). `NAME.dat` may hold Tux Paint's options (`colorable`, `nomirror`, ...).

Which stamps are photographs (`stamp_catalogue` says why each one is left out; the kept
ones are in docs/objects_stamps.png):

1. It is a stamp of its own: `NAME_mirror.png` beside `NAME.png` is Tux Paint's mirrored copy.
2. It has a description: `NAME.txt` with a non-empty first line.
3. It is not drawn by construction: no `NAME.svg` beside it (vector drawings ship one), not
   in a folder called `cartoon`, and not `colorable` in `NAME.dat` (a mask Tux Paint paints
   in the chosen colour).
4. It is textured: at least `MIN_TEXTURE` (a quarter) of its inner opaque pixels differ
   from the median of their 3x3 neighbourhood by `TEXTURE_LEVELS` or more (summed over
   R, G, B; `texture`). Photographs have grain and natural texture; flat fills and smooth
   gradients of clip art do not.
5. The exceptions found by looking at every candidate: `DRAWINGS` (textured clip art:
   airbrushed or dithered drawings, renders, signs) are left out, and
   `SMOOTH_PHOTOGRAPHS` (smoke, flames, a glossy car, a crescent moon) kept.
6. A file kept twice (the same PNG in two folders) counts once, at its first path.

Seen and unseen stamps (`Stamp.split`): a stamp is `"unseen"` when its kind (`stamp_kind`:
its folder and the first word of its file name, so grave-a ... grave-j, gnu-baby and
gnu-sitting, apple_fuji and apple_red are one kind each) hashes below `UNSEEN_FRACTION` (a
fifth). Kinds stay whole, and a stamp's split does not move when others are added or left out.
"""

import collections
import dataclasses
import functools
import hashlib
import os
import re

import numpy as np

PACKAGE = "tuxpaint-stamps-default"
REGISTRY = "debian"
INSTALL = "sudo apt-get install tuxpaint-stamps-default"
LICENCE = "GPL-2 (2002-2022 Bill Kendrick)"
STAMPS = "/usr/share/tuxpaint/stamps"

ENGLISH = "en"  # the language of each description file's first line
MIN_TEXTURE = 0.25
TEXTURE_LEVELS = 3
UNSEEN_FRACTION = 0.2
MIRROR_SUFFIX = "_mirror"
SAME_FILE = "same file as"  # `left_out` of a copy: "same file as NAME", NAME the first path kept
# Textured, but drawn: the texture rule keeps them, a look at the contact sheet does not.
DRAWINGS = frozenset({
    "clothes/button",
    "household/arttools/highlighter",
    "military/ammunition/old_naval_shell",
    "seasonal/christmas/Santa",
    "seasonal/christmas/hard_candy",
    "seasonal/christmas/santahat",
    "seasonal/christmas/stocking",
    "seasonal/easter/bluebird",
    "seasonal/easter/bunny-egg",
    "seasonal/easter/bunny",
    "seasonal/easter/butterfly",
    "seasonal/easter/chick-hatched",
    "seasonal/easter/chick",
    "seasonal/easter/daffodil",
    "seasonal/easter/wrapped_chocolate_easter_egg",
    "seasonal/easter/wrapped_chocolate_easter_egg_2",
    "seasonal/halloween/skull",
    "seasonal/newyears/confetti",
    "seasonal/newyears/party-hat",
    "seasonal/newyears/party-horn-in",
    "space/planets/6_saturn",  # a render
    "symbols/chess/w_2_queen",
    "symbols/faces/happy",
    "town/roadsigns/give_way_sign",
    "town/roadsigns/school_sign",
    "town/roadsigns/toilets",
    "town/roadsigns/xing_ped",
    "town/roadsigns/xing_school",
    "vehicles/emergency/sedan_police",  # "Police car emblems to put on the sedan": fragments
    "vehicles/flight/balloon360",  # a render
})
# Photographs with little texture: the texture rule leaves them out, a look keeps them.
SMOOTH_PHOTOGRAPHS = frozenset({
    "naturalforces/explosion",
    "naturalforces/fire",
    "space/moon/moon_crescent",
    "vehicles/auto/sportscar2",
})


@dataclasses.dataclass(frozen=True)
class Stamp:
    """One stamp: `name` (its path under the stamp folder, without `.png`), `path` (the PNG),
    `descriptions` (`{language: text}`, `"en"` from the first line), `mirror` (False when
    its `.dat` says `nomirror`: it has text or a handedness), `texture`, `split` (`"seen"`
    or `"unseen"`) and `left_out` (why it is not kept; empty when kept)."""

    name: str
    path: str
    descriptions: dict = dataclasses.field(compare=False)
    mirror: bool = True
    texture: float = 0.0
    split: str = "seen"
    left_out: str = ""

    @property
    def description(self):
        """The English description."""
        return self.descriptions[ENGLISH]

    def load(self):
        """The stamp as a Pillow RGBA image cropped to its opaque part (alpha above zero)."""
        from PIL import Image

        with Image.open(self.path) as image:
            image = image.convert("RGBA")
        box = image.getchannel("A").getbbox()
        if box is None:
            raise ValueError(f"stamp {self.name} ({self.path}) is wholly transparent")
        return image.crop(box)

    def load_on_white(self):
        """The stamp on a white background, RGB: for contact sheets."""
        from PIL import Image

        stamp = self.load()
        white = Image.new("RGBA", stamp.size, (255, 255, 255, 255))
        white.alpha_composite(stamp)
        return white.convert("RGB")


def read_descriptions(path):
    """`{language: text}` of a stamp's `NAME.txt`: the first line is English (`"en"`), then
    `LANG.utf8=TEXT` lines (`"fr"`, `"de"`, `"pt_BR"`, `"ca@valencia"`, ...). Empty texts and
    other lines are skipped; an unreadable or non-UTF-8 file raises `ValueError` naming it."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            lines = file.read().splitlines()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error})") from error
    descriptions = {}
    if lines and lines[0].strip():
        descriptions[ENGLISH] = lines[0].strip()
    for line in lines[1:]:
        language, separator, text = line.partition(".utf8=")
        if separator and language.strip() and text.strip() and " " not in language.strip():
            descriptions.setdefault(language.strip(), text.strip())
    return descriptions


def stamp_options(png_path):
    """The words of the stamp's `NAME.dat` (Tux Paint's options), as a set; empty without one."""
    path = os.path.splitext(png_path)[0] + ".dat"
    if not os.path.isfile(path):
        return set()
    with open(path, encoding="utf-8", errors="replace") as file:
        return set(file.read().split())


def texture(image):
    """The fraction of a stamp's inner opaque pixels (opaque, alpha >= 250, with every pixel
    of their 5x5 neighbourhood opaque too) whose colour differs from the median of their 3x3
    neighbourhood by `TEXTURE_LEVELS` or more, summed over R, G, B; 0 when none is inner.

    `image` is a Pillow image (any mode) or a uint8 RGBA array `(H, W, 4)`.
    """
    rgba = np.asarray(image.convert("RGBA")) if hasattr(image, "convert") else np.asarray(image)
    opaque = rgba[..., 3] >= 250
    height, width = opaque.shape
    if height <= 4 or width <= 4:
        return 0.0
    inner = np.zeros_like(opaque)
    inner[2:-2, 2:-2] = np.all([opaque[2 + dy : height - 2 + dy, 2 + dx : width - 2 + dx]
                                for dy in range(-2, 3) for dx in range(-2, 3)], axis=0)
    if not inner.any():
        return 0.0
    rgb = rgba[..., :3].astype(np.int16)
    rows, columns = np.nonzero(inner)
    neighbours = np.stack([rgb[rows + dy, columns + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    deviation = np.abs(rgb[rows, columns] - np.median(neighbours, axis=0)).sum(-1)
    return float((deviation >= TEXTURE_LEVELS).mean())


def stamp_kind(name):
    """A stamp's kind: its folder and the first word of its file name, lower case, without
    digits: `"seasonal/halloween/grave-a"` -> `"seasonal/halloween/grave"`,
    `"plants/flowers/flower10"` -> `"plants/flowers/flower"`."""
    folder, _, stem = name.rpartition("/")
    words = re.split(r"[-_ ]+", stem.lower())
    word = re.sub(r"\d+", "", words[0]) or stem.lower()
    return f"{folder}/{word}" if folder else word


def unseen(name):
    """True when the stamp called `name` is held out of training (its split is `"unseen"`)."""
    from kinpaint.data.corpus.catalogue import _hash_fraction

    return _hash_fraction("unseen stamp: " + stamp_kind(name)) < UNSEEN_FRACTION


def stamp_folder(root=None):
    """The stamp folder, under `root` when given (see `photo_sources.base.system_path`)."""
    from kinpaint.data.corpus.photo_sources.base import system_path

    return system_path(root, STAMPS)


def stamp_catalogue(root=None, warn=None):
    """Every PNG of the stamp folder as a `Stamp`, kept or not (`left_out` says why), in path
    order; `[]` when the folder is missing. A file Pillow cannot read is `warn`ed about and
    left out."""
    from PIL import Image

    from kinpaint.data.corpus.photo_sources.base import warner

    warn = warner(warn)
    folder = stamp_folder(root)
    if not os.path.isdir(folder):
        return []
    stamps, first_of_content = [], {}
    for directory, subfolders, files in os.walk(folder):
        subfolders.sort()
        for file in sorted(files):
            stem, extension = os.path.splitext(file)
            if extension.lower() != ".png":
                continue
            path = os.path.join(directory, file)
            name = os.path.relpath(os.path.join(directory, stem), folder).replace(os.sep, "/")
            stamp = _classify(name, path, first_of_content, warn, Image)
            if stamp is not None:
                stamps.append(stamp)
    return stamps


def _classify(name, path, first_of_content, warn, Image):
    stem = os.path.splitext(path)[0]
    text = stem + ".txt"
    try:
        descriptions = read_descriptions(text) if os.path.isfile(text) else {}
    except ValueError as error:
        warn(f"{PACKAGE}: {error}")
        descriptions = {}
    options = stamp_options(path)
    record = {"name": name, "path": path, "descriptions": descriptions, "mirror": "nomirror" not in options}
    if stem.endswith(MIRROR_SUFFIX) and os.path.isfile(stem[: -len(MIRROR_SUFFIX)] + ".png"):
        return Stamp(**record, left_out="mirrored copy")
    if ENGLISH not in descriptions:
        return Stamp(**record, left_out="no description")
    record["split"] = "unseen" if unseen(name) else "seen"
    if os.path.isfile(stem + ".svg"):
        return Stamp(**record, left_out="vector drawing")
    if "cartoon" in name.split("/")[:-1]:
        return Stamp(**record, left_out="cartoon folder")
    if "colorable" in options:
        return Stamp(**record, left_out="colorable mask")
    try:
        with open(path, "rb") as file:
            content = file.read()
        with Image.open(path) as image:
            record["texture"] = texture(image)
    except Exception as error:  # noqa: BLE001  (a bad file is skipped, whatever Pillow raises)
        warn(f"{PACKAGE}: skipped {path}: {error or type(error).__name__}")
        return Stamp(**record, left_out="unreadable")
    if name in DRAWINGS:
        return Stamp(**record, left_out="listed drawing")
    if record["texture"] < MIN_TEXTURE and name not in SMOOTH_PHOTOGRAPHS:
        return Stamp(**record, left_out="little texture")
    digest = hashlib.sha1(content).hexdigest()
    if digest in first_of_content:
        return Stamp(**record, left_out=f"{SAME_FILE} {first_of_content[digest]}")
    first_of_content[digest] = name
    return Stamp(**record)


@functools.lru_cache(maxsize=4)
def photographic_stamps(root=None):
    """The kept stamps (see the module docstring), in path order; cached per `root`.

    Raises:
        FileNotFoundError: no stamp folder, or none of its stamps kept; the message says
            how to install the package.
    """
    kept = tuple(stamp for stamp in stamp_catalogue(root) if not stamp.left_out)
    if not kept:
        where = stamp_folder(root)
        raise FileNotFoundError(
            f"no photographic stamp under {where}: install them with: {INSTALL} (without root: apt-get "
            f"download {PACKAGE} && dpkg-deb -x {PACKAGE}_*.deb DIR, then root=DIR)"
        )
    return kept


def language_counts(stamps):
    """`{language: how many of stamps have a description in it}`, most common first."""
    counts = {}
    for stamp in stamps:
        for language in stamp.descriptions:
            counts[language] = counts.get(language, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def stamps_report(root=None):
    """What the stamp folder holds: stamps kept (seen and unseen), why the others were left
    out, the commonest languages; or how to install the package when nothing is kept."""
    catalogue = stamp_catalogue(root, warn=lambda message: None)
    kept = [stamp for stamp in catalogue if not stamp.left_out]
    if not kept:
        return (f"{PACKAGE:<28} {REGISTRY:<7} no photographic stamp under {stamp_folder(root)}\n"
                f"missing; install with:\n  {INSTALL}")
    seen = sum(stamp.split == "seen" for stamp in kept)
    lines = [f"{PACKAGE:<28} {REGISTRY:<7} {len(kept):>4} of {len(catalogue)} stamps kept: "
             f"{seen} seen, {len(kept) - seen} unseen"]
    reasons = collections.Counter(f"{SAME_FILE} another" if stamp.left_out.startswith(SAME_FILE) else stamp.left_out
                                  for stamp in catalogue if stamp.left_out)
    lines += [f"  left out, {reason}: {count}" for reason, count in reasons.most_common()]
    languages = language_counts(kept)
    lines.append(f"  languages: {len(languages)}; " + ", ".join(f"{code} {count}" for code, count in
                                                                list(languages.items())[:8]))
    return "\n".join(lines)
