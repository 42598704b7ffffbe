"""GCompris' photographs (Debian `gcompris-qt-data`): animals, monuments, tools, fishes, ...

The package packs its activities in Qt resource files, `/usr/share/gcompris-qt/rcc/*.rcc`
(read with `kinpaint.data.corpus.qt_resources`); images are under
`gcompris/src/activities/<activity>/resource/`, WebP since GCompris 3.0.

Which images are kept (`PHOTO_FOLDERS`, `PHOTO_FILES`, `LEFT_OUT`), the rule being:

- only raster images (`.webp`, `.jpg`, `.jpeg`, `.png`; never `.svg`/`.svgz`, which are
  drawings) in folders of activities that show photographs, each listed with what it
  holds; the other activities' images (the `lang` word pictures, `paintings`, the
  `babyshapes` and `details` puzzle pieces, planets, hands, textures, UI images) are
  drawings, paintings, renders or cut-outs;
- minus the near-duplicates named in `LEFT_OUT` (every image of the folders kept was
  checked on a contact sheet to be a photograph);
- and, checked when read, RGB without an alpha channel (cut-outs on a transparent
  background are left out) and at least `MIN_SHORT_SIDE` pixels on the short side.

Licences: upstream keeps a `README` in each resource folder naming each file's licence
(and its Wikimedia Commons source); Debian's `/usr/share/doc/gcompris-qt-data/copyright`
predates the move to WebP (it names `fish1.jpg`, not `fish1.webp`, and files since
renamed or replaced). So a file's licence is, in order: its folder's `README` entry; the
Debian copyright file's paragraph whose `Files:` pattern matches its path (the last such,
as the copyright format says), trying the path as is and then with its extension as
`.jpg`, `.jpeg`, `.png`; else the Debian file's `Files: *` licence, `GPL-3+`.

Captions: the activities' `.qml`/`.js` files pair a photograph with texts in one object
literal (`{"title": qsTr("..."), "text": qsTr("..."), "image2": ".../x.webp"}` in the
`explore_*` activities, `{"text": qsTr("..."), "img": baseUrl + "x.webp"}` in
`louis-braille`); the captions are its `title` and `text`, in that order. A `details`
board names its photograph once, with the board's `instruction: qsTr("...")` as caption.

With gcompris-qt-data 3.1 (Debian bookworm) this keeps 276 photographs (101 with captions,
82 of them a title and a paragraph) and skips one candidate, a 320x119 pair of pliers.

Scenes: photographs of one monument or subject in several activities (the Eiffel Tower
in `categorization`, `explore_monuments` and `details`, ...) share a scene, from `SCENES`.
"""

import fnmatch
import glob
import io
import os
import re

from kinpaint.data.corpus.photo_sources.base import RESOURCE_SEPARATOR, Photograph, system_path

PACKAGE = "gcompris-qt-data"
REGISTRY = "debian"
INSTALL = "apt-get install gcompris-qt-data"

RCC_FOLDER = "/usr/share/gcompris-qt/rcc"
COPYRIGHT = "/usr/share/doc/gcompris-qt-data/copyright"
PREFIX = "gcompris/src/"  # the rcc entries' paths start with it; Debian's copyright paths with "src/"
DEFAULT_LICENCE = "GPL-3+"  # Debian's `Files: *`, used when its copyright file cannot be read
IMAGE_EXTENSIONS = (".webp", ".jpg", ".jpeg", ".png")
MIN_SHORT_SIDE = 120  # the categorization photographs are 320 px on the long side, some 120-200 on the short

# Folders (under gcompris/src/activities/) whose raster images are photographs.
PHOTO_FOLDERS = (
    "categorization/resource/images/fishes",  # fishes, 320 px
    "categorization/resource/images/monuments",  # monuments of the world, 320 px
    "categorization/resource/images/others",  # household things, 320 px
    "categorization/resource/images/renewable",  # dams, solar panels, wind turbines
    "categorization/resource/images/tools",  # hammers, pliers, ... on plain backgrounds
    "erase/resource",  # animals, 1920 x 1080
    "explore_farm_animals/resource/animals",  # farm animals, 1024 px, with texts
    "explore_monuments/resource/egypt",  # monuments, 1024 px, with texts
    "explore_monuments/resource/france",
    "explore_monuments/resource/germany",
    "explore_monuments/resource/india",
    "explore_monuments/resource/usa",
    "explore_monuments/resource/wonders",
    "explore_world_animals/resource/animals",  # wild animals, 1024 px, with texts
    "explore_world_music/resource/music",  # musicians and instruments, 1024 px, with texts
)
# Single photographs in folders that otherwise hold drawings, pieces or UI images.
PHOTO_FILES = (
    "clickgame/resource/sea1.webp",  # underwater photographs behind the fishes (drawn)
    "clickgame/resource/sea2.webp",
    "clickgame/resource/sea3.webp",
    "clickgame/resource/sea4.webp",
    "clickgame/resource/sea5.webp",
    "clickgame/resource/sea6.webp",
    # details: the whole photographs of its puzzles (its other backgrounds are paintings)
    "details/resource/image/Chenonceau_background.webp",
    "details/resource/image/EgeskovSlotSpejling_background.webp",
    "details/resource/image/EilanDonanCastle_background.webp",
    "details/resource/image/FanoeWindmill_background.webp",
    "details/resource/image/GizahPyramids_background.webp",
    "details/resource/image/Louvre_2007_02_24_c_background.webp",
    "details/resource/image/NDP_background.webp",
    "details/resource/image/Nagoya_background.webp",
    "details/resource/image/Neuschwanstein_background.webp",
    "details/resource/image/OperaSidney_background.webp",
    "details/resource/image/TajMahal_background.webp",
    "details/resource/image/TourEiffel_background.webp",
    "details/resource/image/TowerBridgeLondon_background.webp",
    # louis-braille: its photographs (louis, chart, night_printing are drawings or
    # paintings, braille_ball a render)
    "louis-braille/resource/braille.webp",
    "louis-braille/resource/fireplace.webp",
    "louis-braille/resource/rnib.webp",
    "louis-braille/resource/statue.webp",
    "louis-braille/resource/teach.webp",
    "louis-braille/resource/workshop.webp",
)
# Left out of the PHOTO_FOLDERS: near-duplicates, the 320-px copies of explore_monuments'
# 1024-px photographs (found by comparing 16x16 grey thumbnails: correlation 1.0).
LEFT_OUT = (
    "categorization/resource/images/monuments/brandenburgGate.webp",
    "categorization/resource/images/monuments/colosseum.webp",
    "categorization/resource/images/monuments/greatPyramid.webp",
)

# Photographs of one subject in several activities: {scene: stems (file names without extension)}.
SCENES = {
    "eiffel-tower": ("eiffelTower", "TourEiffel_background"),
    "brandenburg-gate": ("brandenburgGate",),
    "christ-the-redeemer": ("christTheRedeemer",),
    "colosseum": ("colosseum",),
    "giza-pyramids": ("greatPyramid", "greatPyramidOfGiza", "GizahPyramids_background"),
    "great-wall": ("greatWall", "greatWallofChina"),
    "taj-mahal": ("tajMahal", "TajMahal_background"),
    "mount-rushmore": ("mountRushmore",),
    "statue-of-liberty": ("statueOfLiberty", "statueofLiberty"),
    "victoria-memorial": ("victoriaMemorial",),
    "qutub-minar": ("kutubMinar", "qutubMinar"),
    "neuschwanstein": ("neuschwansteinCastle", "Neuschwanstein_background"),
    "sydney-opera-house": ("operaHouse", "OperaSidney_background"),
}
_SCENE_OF = {stem: scene for scene, stems in SCENES.items() for stem in stems}

_QSTR = r'qsTr\(\s*"((?:[^"\\]|\\.)*)"\s*\)'
_CAPTION = re.compile(r'"?(title|text)"?\s*:\s*' + _QSTR)
_INSTRUCTION = re.compile(r"property\s+string\s+instruction\s*:\s*" + _QSTR)
_IMAGE = re.compile(r'["\']([^"\']*?([^"\'/]+\.(?:webp|jpe?g|png)))["\']', re.IGNORECASE)
_BLOCK = re.compile(r"\{[^{}]*\}")


def find(root=None, warn=None):
    """The photographs kept from the installed package (see the module docstring)."""
    warn = warn or (lambda message: None)
    from kinpaint.data.corpus.qt_resources import list_resources, read_resource

    folder = system_path(root, RCC_FOLDER)
    rcc_files = sorted(glob.glob(os.path.join(folder, "*.rcc")))
    if not rcc_files:
        return []
    copyright_rules = _debian_copyright(system_path(root, COPYRIGHT), warn)
    photographs = []
    for rcc in rcc_files:
        try:
            entries = list_resources(rcc)
        except Exception as error:  # noqa: BLE001  (a bad resource file is skipped)
            warn(f"skipped {rcc}: {error}")
            continue
        candidates = [entry for entry in entries if _is_candidate(entry)]
        if not candidates:
            continue
        texts = _texts(rcc, entries, read_resource, warn)
        readme_licences = _readme_licences(rcc, entries, read_resource, warn)
        for entry in candidates:
            path = f"{rcc}{RESOURCE_SEPARATOR}{entry}"
            activity = entry[len(PREFIX + "activities/"):].split("/", 1)[0]
            stem = os.path.splitext(os.path.basename(entry))[0]
            name = f"{PACKAGE}/{activity}.{stem}"
            try:
                reason = _not_a_photograph(read_resource(rcc, entry))
            except Exception as error:  # noqa: BLE001  (a bad entry is skipped, whatever is raised)
                warn(f"skipped {name}: {error}")
                continue
            if reason:
                warn(f"skipped {name}: {reason}")
                continue
            licence = (readme_licences.get(entry)
                       or _debian_licence(copyright_rules, entry[len("gcompris/"):]))
            scene = _SCENE_OF.get(stem, "")
            photographs.append(Photograph(
                name=name, package=PACKAGE, path=path, licence=licence,
                captions=texts.get((activity, os.path.basename(entry)), ()),
                scene=f"{PACKAGE}/{scene}" if scene else ""))
    return photographs


def _is_candidate(entry):
    if not entry.startswith(PREFIX + "activities/") or not entry.lower().endswith(IMAGE_EXTENSIONS):
        return False
    inner = entry[len(PREFIX + "activities/"):]
    if inner in LEFT_OUT:
        return False
    return inner in PHOTO_FILES or os.path.dirname(inner) in PHOTO_FOLDERS


def _not_a_photograph(data):
    """Why an image is left out (decoding errors raise), or "" to keep it."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes it all: a truncated file raises here
        if "A" in image.getbands() or "transparency" in image.info:
            return f"a cut-out with transparency (mode {image.mode})"
        if min(image.size) < MIN_SHORT_SIDE:
            return f"{image.size[0]}x{image.size[1]}, under {MIN_SHORT_SIDE} px on the short side"
    return ""


def _texts(rcc, entries, read_resource, warn):
    """{(activity, image file name): captions} from the .qml and .js files of `rcc`."""
    texts = {}
    for entry in entries:
        if not entry.endswith((".qml", ".js")) or not entry.startswith(PREFIX + "activities/"):
            continue
        activity = entry[len(PREFIX + "activities/"):].split("/", 1)[0]
        try:
            source = read_resource(rcc, entry).decode("utf-8", errors="replace")
        except Exception as error:  # noqa: BLE001
            warn(f"skipped the texts of {rcc}{RESOURCE_SEPARATOR}{entry}: {error}")
            continue
        instruction = _INSTRUCTION.search(source)
        for block in _BLOCK.findall(source):
            captions = tuple(_unescape(text) for key, text in sorted(
                _CAPTION.findall(block), key=lambda pair: pair[0] != "title"))
            if not captions and instruction:
                captions = (_unescape(instruction.group(1)),)
            if not captions:
                continue
            for _, image in _IMAGE.findall(block):
                texts.setdefault((activity, image), captions)
    return texts


def _unescape(text):
    return re.sub(r"\\(.)", lambda match: {"n": "\n", "t": "\t"}.get(match.group(1), match.group(1)), text)


def _readme_licences(rcc, entries, read_resource, warn):
    """{entry: licence} from the `README` files of `rcc` (upstream's record).

    A README names files relative to its folder (`fish1.webp`, `wonders/petra.webp`); where
    two name one file, the one nearer to it wins.
    """
    licences = {}
    readmes = sorted((entry for entry in entries if os.path.basename(entry) == "README"),
                     key=lambda entry: entry.count("/"), reverse=True)
    for readme in readmes:
        folder = os.path.dirname(readme)
        try:
            text = read_resource(rcc, readme).decode("utf-8", errors="replace")
        except Exception as error:  # noqa: BLE001
            warn(f"skipped {rcc}{RESOURCE_SEPARATOR}{readme}: {error}")
            continue
        for paragraph in re.split(r"\n\s*\n", text):
            licence = re.search(r"^Licen[cs]e:\s*(.+)$", paragraph, re.MULTILINE | re.IGNORECASE)
            if not licence:
                continue
            for line in paragraph.splitlines():
                key, colon, value = line.partition(":")
                if colon and key.strip().lower() != "files":
                    continue  # another field (Copyright:, Source:, Comment: ...)
                for word in (value if colon else line).split():
                    if word.lower().endswith(IMAGE_EXTENSIONS):
                        licences.setdefault(f"{folder}/{word.lstrip('./')}", _normalise_licence(licence.group(1)))
    return licences


def _normalise_licence(licence):
    """`"CC-BY-SA 4.0"` -> `"CC-BY-SA-4.0"`, `"Public Domain"` -> `"public-domain"` (Debian's spelling)."""
    licence = licence.strip().rstrip(".")
    if licence.lower().replace("-", " ") == "public domain":
        return "public-domain"
    gpl = re.fullmatch(r"(L?GPL)\s*-?\s*v?(\d(?:\.\d)?)(\+?)", licence, flags=re.IGNORECASE)
    if gpl:  # "GPLv3" -> "GPL-3"
        return f"{gpl.group(1).upper()}-{gpl.group(2)}{gpl.group(3)}"
    return re.sub(r"^(CC[- ][A-Z-]+?)[- ]?(\d\.\d)$", lambda m: f"{m.group(1).replace(' ', '-')}-{m.group(2)}",
                  licence, flags=re.IGNORECASE)


def _debian_copyright(path, warn):
    """[(patterns, licence)] of the Debian machine-readable copyright file, in order."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError as error:
        warn(f"{path}: {error}; licences default to {DEFAULT_LICENCE}")
        return []
    rules = []
    for paragraph in re.split(r"\n\s*\n", text):
        files = re.search(r"^Files:(.*(?:\n[ \t].*)*)", paragraph, re.MULTILINE)
        licence = re.search(r"^License:[ \t]*(.+)$", paragraph, re.MULTILINE)
        if files and licence:
            rules.append((files.group(1).split(), licence.group(1).strip()))
    return rules


def _debian_licence(rules, relative):
    """The licence of `relative` (`src/activities/...`): the last matching paragraph wins."""
    stem, extension = os.path.splitext(relative)
    for candidate in (relative,) + tuple(stem + other for other in (".jpg", ".jpeg", ".png") if other != extension):
        licence = None
        for patterns, rule_licence in rules:
            if any(pattern != "*" and fnmatch.fnmatchcase(candidate, pattern) for pattern in patterns):
                licence = rule_licence
        if licence:
            return licence
    for patterns, rule_licence in rules:
        if "*" in patterns:
            return rule_licence
    return DEFAULT_LICENCE
