"""kinpaint: caption-conditioned image inpainting with Keras 3.

`import kinpaint` registers every kinpaint layer and model with Keras, so plain
`keras.models.load_model` reads kinpaint's `.keras` files. The public names below load on
first use. The `kinpaint` command starts without TensorFlow: its launcher
(`kinpaint_command`) sets `KINPAINT_COMMAND_LINE=1` while it imports the package, and
the sub-commands that need Keras import it themselves.
"""

import importlib
import os

__version__ = "0.1.0"

# One list of the public surface: names, and the modules a user imports or reaches as attributes.
PUBLIC_NAMES = {
    "ClassicalFill": "kinpaint.baselines",
    "HarmonicFill": "kinpaint.baselines",
    "MeanColourFill": "kinpaint.baselines",
    "PatchMatchFill": "kinpaint.baselines",
    "ImageGrid": "kinpaint.callbacks",
    "LossCurves": "kinpaint.callbacks",
    "render_grid": "kinpaint.callbacks",
    "CaptionSetup": "kinpaint.captions",
    "evaluate": "kinpaint.evaluation",
    "evaluate_inpainter": "kinpaint.evaluation",
    "export_model": "kinpaint.export",
    "load_exported": "kinpaint.export",
    "load_image": "kinpaint.images",
    "to_model_range": "kinpaint.images",
    "to_uint8": "kinpaint.images",
    "Inpainter": "kinpaint.inpainting",
    "composite": "kinpaint.inpainting",
    "inpaint_file": "kinpaint.pictures",
    "inpaint_full_resolution": "kinpaint.pictures",
    "inpaint_folder": "kinpaint.folders",
    "pretrained": "kinpaint.pretrained_models",
    "RunConfig": "kinpaint.run_config",
    "load_model": "kinpaint.saving",
}
PUBLIC_MODULES = ("baselines", "callbacks", "captions", "data", "evaluation", "export", "folders", "images",
                  "inpainting", "layers", "metrics", "model_kinds", "models", "options", "pictures", "poisson",
                  "pretrained_models", "recipes", "resumed_settings", "run_config", "saving")

__all__ = sorted(PUBLIC_NAMES) + list(PUBLIC_MODULES)

if os.environ.get("KINPAINT_COMMAND_LINE") != "1":
    import kinpaint.layers  # noqa: E402,F401  (registers the layers with Keras)
    import kinpaint.models  # noqa: E402,F401  (registers the models with Keras)


def __getattr__(name):
    if name in PUBLIC_NAMES:
        return getattr(importlib.import_module(PUBLIC_NAMES[name]), name)
    if name in PUBLIC_MODULES:
        return importlib.import_module(f"kinpaint.{name}")
    raise AttributeError(f"module 'kinpaint' has no attribute {name!r}")


def __dir__():
    return __all__ + ["__version__"]
