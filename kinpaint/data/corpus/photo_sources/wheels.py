"""The 11 photographs the scikit-image and scikit-learn wheels ship (`kinpaint.data.photos`).

Their paths come from `photos.photograph_path` (found without importing the packages),
their licences from `photos.PHOTOGRAPHS`. The Middlebury stereo pair motorcycle_left /
motorcycle_right shares a scene. A photograph whose package is not installed is left out
silently; one missing from an installed package, or unreadable, is `warn`ed about.
"""

import re

from kinpaint.data.corpus.photo_sources.base import Photograph
from kinpaint.data.corpus.photo_sources.base import image_is_readable, warner

PACKAGE = "scikit-image, scikit-learn"
REGISTRY = "pypi"
INSTALL = 'pip install "kinpaint[photos]"'
DISTRIBUTIONS = {"skimage": "scikit-image", "sklearn": "scikit-learn"}  # module -> PyPI name, for names
SCENES = {"motorcycle_left": "motorcycle", "motorcycle_right": "motorcycle"}
# From scikit-image's docstrings where the file name alone says little; else the name made readable.
CAPTIONS = {"astronaut": "the astronaut Eileen Collins", "chelsea": "Chelsea the cat", "coffee": "coffee cup",
            "immunohistochemistry": "immunohistochemical staining", "retina": "human retina"}


def find(root=None, warn=None):
    """The wheels' photographs that are installed; `root` is ignored (PyPI packages)."""
    from kinpaint.data.photos import PHOTOGRAPHS, photograph_path

    warn = warner(warn)
    photographs = []
    for name, (module, _, licence) in PHOTOGRAPHS.items():
        try:
            path = photograph_path(name)
        except ModuleNotFoundError:
            continue  # the wheel is not installed
        except FileNotFoundError as error:
            warn(f"{PACKAGE}: skipped {name}: {error}")
            continue
        if not image_is_readable(path, warn, PACKAGE):
            continue
        prefix = DISTRIBUTIONS.get(module, module)
        scene = f"{prefix}/{SCENES[name]}" if name in SCENES else ""
        caption = CAPTIONS.get(name, re.sub(r"_(left|right)$", "", name).replace("_", " "))
        photographs.append(Photograph(f"{prefix}/{name}", PACKAGE, path, licence, (caption,), scene))
    return photographs
