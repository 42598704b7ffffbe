"""The one call every hole-filling model answers, and the simplest model that answers it.

    inpaint(images, masks, captions=None) -> images

- `images`: float32 `(B, H, W, 3)` in [-1, 1] (the hole's content is ignored);
- `masks`: `(B, H, W, 1)`, 1 = known pixel, 0 = hole;
- `captions`: `(B,)` strings or `(B, D)` vectors, or `None`;
- returns float32 `(B, H, W, 3)` in [-1, 1] with the known pixels returned exactly.

Callbacks, the command line and the evaluation use only this call, so any object
with such a method plugs in.
"""

from typing import Protocol, runtime_checkable

import numpy as np
import tensorflow as tf
from keras import ops


@runtime_checkable
class Inpainter(Protocol):
    def inpaint(self, images, masks, captions=None):
        """Fill the holes (mask == 0) of `images`; return the composite."""


def composite(images, masks, fills):
    """`masks * images + (1 - masks) * fills`, with known pixels (mask 1) copied exactly.

    Works on tensors, arrays and symbolic Keras tensors; `masks` broadcast over channels.
    """
    images = ops.cast(images, "float32")
    fills = ops.cast(fills, "float32")
    masks = ops.cast(masks, "float32")
    blend = masks * images + (1.0 - masks) * fills
    return ops.where(masks >= 1.0, images, blend)


class MeanColourFill:
    """Classical baseline: fill each image's hole with the mean colour of its known pixels."""

    def inpaint(self, images, masks, captions=None):
        images = tf.convert_to_tensor(images, tf.float32)
        masks = tf.convert_to_tensor(masks, tf.float32)
        known = tf.reduce_sum(masks, axis=[1, 2, 3])
        mean = tf.reduce_sum(images * masks, axis=[1, 2]) / tf.maximum(known, 1.0)[:, None]
        fills = tf.broadcast_to(mean[:, None, None, :], tf.shape(images))
        return composite(images, masks, fills)


def check_inpainter(model):
    """Raise `TypeError` unless `model` has an `inpaint(images, masks, captions=None)` method."""
    if not isinstance(model, Inpainter):
        raise TypeError(
            f"{type(model).__name__} has no inpaint(images, masks, captions=None) method; "
            "see kinpaint.inpainting"
        )
    return model


def as_numpy(values):
    return values.numpy() if hasattr(values, "numpy") else np.asarray(values)
