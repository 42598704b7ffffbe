"""OpenCV's classic test photographs (Debian `opencv-doc`, `examples/data/`).

`/usr/share/doc/opencv-doc/examples/data/` mixes photographs with drawings, logos,
charts, calibration shots and text. Only the photographs listed in `KEPT` are kept;
`LEFT_OUT` says why each other image is left out (every image of opencv-doc 4.6 is in one
of the two; an image in neither, from another version, is left out unreviewed).

Licence: the copyright file names no sample image (its only mention of `samples/data` is
Lena, excluded from the Debian source), so the licence is the one it states for all files
(`Files: *`), said as such.
"""

import os

from kinpaint.data.corpus.photo_sources.base import Photograph, system_path
from kinpaint.data.corpus.photo_sources.base import copyright_licence, image_is_readable, warner

PACKAGE = "opencv-doc"
REGISTRY = "debian"
INSTALL = "sudo apt-get install opencv-doc"

DATA = "/usr/share/doc/opencv-doc/examples/data"
COPYRIGHT = "/usr/share/doc/opencv-doc/copyright"
FALLBACK_LICENCE = "Apache-2.0 AND BSD-3-Clause (Intel Corporation, OpenCV Foundation and contributors)"
LICENCE_NOTE = "; stated for all of OpenCV (Files: *), the copyright file names no sample image"

# file -> (scene, captions). Photographs of one scene (a stereo pair, two views of a
# wall) share a scene so they land in one split; "" is a scene of its own.
KEPT = {
    "aero1.jpg": ("aero", ("aerial photograph",)),  # two overlapping aerial views (stitching)
    "aero3.jpg": ("aero", ("aerial photograph",)),
    "aloeL.jpg": ("aloe", ("aloe",)),  # Middlebury stereo pair
    "aloeR.jpg": ("aloe", ("aloe",)),
    "apple.jpg": ("", ("apple",)),
    "baboon.jpg": ("", ("baboon",)),
    "board.jpg": ("", ("circuit board",)),  # a printed circuit board, not a calibration board
    "building.jpg": ("", ("building",)),
    "butterfly.jpg": ("", ("butterfly",)),
    "chicky_512.png": ("", ("dog",)),
    "ela_original.jpg": ("", ()),
    "fruits.jpg": ("", ("fruits",)),
    "graf1.png": ("graf", ("graffiti",)),  # one graffiti wall from two viewpoints
    "graf3.png": ("graf", ("graffiti",)),
    "home.jpg": ("", ("home",)),
    "left.jpg": ("books", ()),  # stereo pair: books on a floor
    "right.jpg": ("books", ()),
    "leuvenA.jpg": ("leuven", ("street in leuven",)),  # one street from two viewpoints
    "leuvenB.jpg": ("leuven", ("street in leuven",)),
    "messi5.jpg": ("", ("football player",)),
    "orange.jpg": ("", ("orange",)),
    "rubberwhale1.png": ("", ()),
    "smarties.png": ("", ("smarties",)),
    "squirrel_cls.jpg": ("", ("squirrel",)),
    "stuff.jpg": ("", ()),
}
_CALIBRATION = tuple(f"{side}{index:02d}.jpg" for side in ("left", "right") for index in range(1, 15))
LEFT_OUT = {
    **dict.fromkeys(("Blender_Suzanne1.jpg", "Blender_Suzanne2.jpg", "ml.png"), "3-D render"),
    **dict.fromkeys(("HappyFish.jpg", "cards.png", "LinuxLogo.jpg", "WindowsLogo.jpg", "opencv-logo.png",
                     "opencv-logo-white.png"), "drawing or logo"),
    **dict.fromkeys(("aloeGT.png",), "disparity map, not a photograph"),
    **dict.fromkeys(("basketball1.png", "basketball2.png"), "grayscale sequence frames"),
    **dict.fromkeys(("blox.jpg", "box.png", "box_in_scene.png"), "grayscale photograph (the corpus is colour)"),
    **dict.fromkeys(("chessboard.png", "pca_test1.jpg", "detect_blob.png", "ellipses.jpg", "gradient.png",
                     "mask.png", "pic1.png", "pic2.png", "pic3.png", "pic4.png", "pic5.png", "pic6.png",
                     "templ.png", "tmpl.png"), "chart, test pattern or synthetic shapes"),
    **dict.fromkeys(_CALIBRATION, "repeated chessboard calibration frames"),
    **dict.fromkeys(("digits.png", "imageTextN.png", "imageTextR.png", "notes.png", "sudoku.png",
                     "text_defocus.jpg", "text_motion.jpg"), "text, digits or music"),
    **dict.fromkeys(("licenseplate_motion.jpg",), "artificially motion-blurred (a deblurring demo)"),
    **dict.fromkeys(("ela_modified.jpg",), "an edited copy of ela_original.jpg"),
    **dict.fromkeys(("rubberwhale2.png",), "the next optical-flow frame after rubberwhale1.png"),
    **dict.fromkeys(("starry_night.jpg",), "a painting"),
}


def find(root=None, warn=None):
    """The photographs in `KEPT` that are installed; `[]` when opencv-doc is missing."""
    warn = warner(warn)
    folder = system_path(root, DATA)
    if not os.path.isdir(folder):
        return []
    photographs = []
    for file, (scene, captions) in sorted(KEPT.items()):
        path = os.path.join(folder, file)
        if not os.path.isfile(path) or not image_is_readable(path, warn, PACKAGE):
            continue
        licence = copyright_licence(system_path(root, COPYRIGHT), f"samples/data/{file}", FALLBACK_LICENCE)
        stem = os.path.splitext(file)[0]
        photographs.append(Photograph(f"{PACKAGE}/{stem}", PACKAGE, path, licence + LICENCE_NOTE, captions,
                                      f"{PACKAGE}/{scene}" if scene else ""))
    return photographs
