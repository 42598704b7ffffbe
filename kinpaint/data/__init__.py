"""Data: masks, readers, the HDF5 store, tf.data pipelines and built-in datasets."""

from kinpaint.data.builtin import BUILTIN_DATASETS, load_builtin
from kinpaint.data.coco import CocoReader
from kinpaint.data.folder import FolderReader
from kinpaint.data.ift6266 import IFT6266Reader
from kinpaint.data.masks import centre_mask, make_masks, rectangle_masks, stroke_masks
from kinpaint.data.photos import load_photos
from kinpaint.data.pipeline import CAPTION_POLICIES, ArraySource, make_dataset
from kinpaint.data.records import Example, Report
from kinpaint.data.shapes import load_shapes
from kinpaint.data.sources import open_reader
from kinpaint.data.store import Store, write_store
