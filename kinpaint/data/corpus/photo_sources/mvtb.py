"""The Machine Vision Toolbox's example photographs (PyPI `mvtb-data`, MIT licence).

`mvtbdata/images/` holds photographs (flowers, a street, Paris monuments, a university
campus, aerial views) among binary masks, markers, calibration targets and drawings.
Only the photographs listed in `KEPT` (folder-relative paths) are kept; `LEFT_OUT` says
why each other image of mvtb-data 1.6 is left out. The package is found with
`importlib.util.find_spec`, without importing it; `root` does not apply (PyPI package).

Licence: the package's metadata declares the MIT licence (classifier "License :: OSI
Approved :: MIT License", author Peter Corke); its README gives no other terms for the images.
"""

import importlib.util
import os

from kinpaint.data.corpus.photo_sources.base import Photograph
from kinpaint.data.corpus.photo_sources.base import image_is_readable, warner

PACKAGE = "mvtb-data"
REGISTRY = "pypi"
INSTALL = 'pip install "kinpaint[photos]"'
MODULE = "mvtbdata"
LICENCE = "MIT (Peter Corke, Machine Vision Toolbox for Python; per the mvtb-data package metadata)"

_CAMPUS = ("P1070491", "P1070493", "P1070494", "P1070495", "P1070496", "P1070497", "P1070498", "P1070499",
           "P1070500", "P1070501", "P1070503", "P1070504", "P1070505", "P1070506", "P1070507", "P1070509",
           "P1070510", "P1070512", "P1070514", "P1070515")
_CAMPUS_HOLDOUT = ("P1070492", "P1070502", "P1070508", "P1070511", "P1070513")
# path under images/ -> (scene, captions). The campus shots (a place-recognition set: many
# views of the same buildings) are one scene; so are overlapping aerial views, stereo
# pairs, the two Eiffel tower shots, the tomato-plant frames and one tulip bed.
KEPT = {
    "58060.png": ("", ()),
    "building2-3.png": ("", ("building",)),
    "church.png": ("", ("church",)),
    "eiffel-1.png": ("eiffel", ("eiffel tower",)),
    "eiffel-2.png": ("eiffel", ("eiffel tower",)),
    "flowers1.png": ("tulip-bed", ("flowers",)),
    "flowers8.png": ("tulip-bed", ("flowers",)),
    **{f"flowers{index}.png": ("", ("flowers",)) for index in (2, 3, 4, 5, 6, 7, 9)},
    "greenscreen.png": ("", ("green screen",)),
    "image3.jpg": ("", ("street",)),
    "lab-scene.png": ("", ("laboratory",)),
    "notre-dame.png": ("", ("notre dame",)),
    "parks.png": ("", ("park",)),
    "road.png": ("", ("road",)),
    "rocks2-l.png": ("rocks2", ("rocks",)),
    "rocks2-r.png": ("rocks2", ("rocks",)),
    "roof.png": ("", ("roof",)),
    **{f"tomato_{index}.png": ("tomato", ("tomato plant",)) for index in (14, 35, 54, 124)},
    "walls-l.png": ("walls", ("brick walls",)),
    "walls-r.png": ("walls", ("brick walls",)),
    **{f"campus/{stem}.png": ("campus", ("campus",)) for stem in _CAMPUS},
    **{f"campus/holdout/{stem}.png": ("campus", ("campus",)) for stem in _CAMPUS_HOLDOUT},
    **{f"mosaic/aerial-{index:02d}.png": ("aerial", ("aerial photograph",)) for index in (8, 9, 10)},
    "mosaic/aerialphoto.png": ("aerial", ("aerial photograph",)),
}
LEFT_OUT = {
    **dict.fromkeys(("5points.png", "eg-morph1.png", "eg-morph2.png", "multiblobs.png", "multiblobs_edgecase.png",
                     "scale-space.png", "segmentation.png", "shark1.png", "shark2.png", "shark2a.png",
                     "sharks.png", "wally.png"), "binary mask or synthetic shapes"),
    **dict.fromkeys(("Image18.png", "apriltag12.png", "arucoboard.png", "fisheye_target.png", "tags.png",
                     "yellowtargets.png", "adelson.png"), "marker, calibration target or checkerboard"),
    **dict.fromkeys(("building2-1.png", "building2-2.png", "castle.png", "castle2.png", "lena.png",
                     "penguins.png", "street.png"), "grayscale (the corpus is colour; castle/penguins are signs)"),
    **dict.fromkeys(("monalisa.png", "wheres-wally.png"), "painting or drawing"),
    **dict.fromkeys(("church.jpg",), "the same photograph as church.png"),
    **dict.fromkeys(("butterfly.jpg",), "the same file as opencv-doc's butterfly.jpg"),
    **dict.fromkeys([f"mosaic/aerial2-{index:03d}.png" for index in range(1, 11)],
                    "grayscale overlapping mosaic frames"),
    **dict.fromkeys([f"seq/im.{index:03d}.png" for index in range(1, 10)], "grayscale sequence frames"),
    **dict.fromkeys([f"calibration/left{index:02d}.jpg" for index in range(1, 15)], "calibration frames"),
}


def package_folder():
    """`mvtbdata`'s folder, found without importing it; None when it is not installed."""
    try:
        spec = importlib.util.find_spec(MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def find(root=None, warn=None):
    """The photographs in `KEPT`; `[]` when mvtb-data is not installed. `root` is ignored."""
    warn = warner(warn)
    folder = package_folder()
    if folder is None or not os.path.isdir(os.path.join(folder, "images")):
        return []
    photographs = []
    for inner, (scene, captions) in sorted(KEPT.items()):
        path = os.path.join(folder, "images", *inner.split("/"))
        if not os.path.isfile(path) or not image_is_readable(path, warn, PACKAGE):
            continue
        stem = os.path.splitext(os.path.basename(inner))[0]
        photographs.append(Photograph(f"{PACKAGE}/{stem}", PACKAGE, path, LICENCE, captions,
                                      f"{PACKAGE}/{scene}" if scene else ""))
    return photographs
