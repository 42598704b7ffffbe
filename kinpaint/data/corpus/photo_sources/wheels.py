"""The 11 photographs the scikit-image and scikit-learn wheels ship (`kinpaint.data.photos`).

`PHOTOGRAPHS` names them with their licences, and `photograph_path` finds them without
importing the packages; `kinpaint.data.photos` crops them. The Middlebury stereo pair motorcycle_left /
motorcycle_right shares a scene. A photograph whose package is not installed is left out
silently; one missing from an installed package, or unreadable, is `warn`ed about.
"""

import importlib.util
import os
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

# name: (package, path inside the package, licence)
PHOTOGRAPHS = {
    "astronaut": ("skimage", "data/astronaut.png", "public domain (NASA)"),
    "rocket": ("skimage", "data/rocket.jpg", "public domain (SpaceX)"),
    "hubble_deep_field": ("skimage", "data/hubble_deep_field.jpg", "public domain (NASA)"),
    "motorcycle_left": ("skimage", "data/motorcycle_left.png", "Middlebury 2014 stereo dataset"),
    "motorcycle_right": ("skimage", "data/motorcycle_right.png", "Middlebury 2014 stereo dataset"),
    "retina": ("skimage", "data/retina.jpg", "CC0 (Mikael Haggstrom)"),
    "immunohistochemistry": ("skimage", "data/ihc.png", "no known copyright restrictions (CMMI)"),
    "china": ("sklearn", "datasets/images/china.jpg", "CC BY 2.0 (danielbuechele)"),
    "chelsea": ("skimage", "data/chelsea.png", "CC0 (Stefan van der Walt)"),
    "coffee": ("skimage", "data/coffee.png", "CC0 (Rachel Michetti)"),
    "flower": ("sklearn", "datasets/images/flower.jpg", "CC BY 2.0 (vultilion)"),
}


def photograph_path(name):
    """Path of a packaged photograph, without importing its (slow) package."""
    package, inner, _ = PHOTOGRAPHS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the built-in 'photos' dataset reads photographs shipped with {package}; "
            "install them with: pip install 'kinpaint[photos]'"
        )
    path = os.path.join(list(spec.submodule_search_locations)[0], inner)
    if not os.path.exists(path):
        raise FileNotFoundError(f"photograph {name!r} missing from the installed {package}: {path}")
    return path


def find(root=None, warn=None):
    """The wheels' photographs that are installed; `root` is ignored (PyPI packages)."""
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
