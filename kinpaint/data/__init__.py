"""Data: masks, readers, the HDF5 store, tf.data pipelines and built-in datasets; the corpus
builders (photographs and stamps read from the packages that ship them) are in `corpus/`.

Names are loaded on first use, so reading a store (`kinpaint info`) does not import
TensorFlow; only the pipeline needs it.
"""

import importlib

_EXPORTS = {
    "BUILTIN_DATASETS": "kinpaint.data.builtin",
    "load_builtin": "kinpaint.data.builtin",
    "CocoReader": "kinpaint.data.coco",
    "FolderReader": "kinpaint.data.folder",
    "IFT6266Reader": "kinpaint.data.ift6266",
    "centre_mask": "kinpaint.data.masks",
    "make_masks": "kinpaint.data.masks",
    "rectangle_masks": "kinpaint.data.masks",
    "stroke_masks": "kinpaint.data.masks",
    "load_objects": "kinpaint.data.objects",
    "load_photos": "kinpaint.data.photos",
    "photo_catalogue": "kinpaint.data.corpus.catalogue",
    "CAPTION_POLICIES": "kinpaint.data.pipeline",
    "ArraySource": "kinpaint.data.pipeline",
    "make_dataset": "kinpaint.data.pipeline",
    "Example": "kinpaint.data.records",
    "Report": "kinpaint.data.records",
    "load_shapes": "kinpaint.data.shapes",
    "open_reader": "kinpaint.data.sources",
    "Store": "kinpaint.data.store",
    "StoreError": "kinpaint.data.store",
    "write_store": "kinpaint.data.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'kinpaint.data' has no attribute {name!r}")


def __dir__():
    return __all__
