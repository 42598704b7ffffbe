"""kinpaint: caption-conditioned image inpainting with Keras 3.

Public names are loaded on first use, so `import kinpaint` and the command line
start without importing TensorFlow until something needs it.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "ImageGrid": "kinpaint.callbacks",
    "render_grid": "kinpaint.callbacks",
    "evaluate_inpainter": "kinpaint.evaluation",
    "load_image": "kinpaint.images",
    "to_model_range": "kinpaint.images",
    "to_uint8": "kinpaint.images",
    "Inpainter": "kinpaint.inpainting",
    "MeanColourFill": "kinpaint.inpainting",
    "composite": "kinpaint.inpainting",
    "load_model": "kinpaint.saving",
}
_SUBPACKAGES = ("callbacks", "data", "evaluation", "images", "inpainting", "layers", "metrics", "models")

__all__ = sorted(_EXPORTS) + list(_SUBPACKAGES)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"kinpaint.{name}")
    raise AttributeError(f"module 'kinpaint' has no attribute {name!r}")


def __dir__():
    return __all__ + ["__version__"]
