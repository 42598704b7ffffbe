"""The one call every hole-filling model answers, and the helpers its answers share.

    inpaint(images, masks, captions=None) -> images

- `images`: float32 `(B, H, W, 3)` in [-1, 1] (the hole's content is ignored);
- `masks`: `(B, H, W, 1)`, 1 = known pixel, 0 = hole;
- `captions`: `(B,)` strings or `(B, D)` vectors, or `None`;
- returns float32 `(B, H, W, 3)` in [-1, 1] with the known pixels returned exactly.

Callbacks, the command line and the evaluation use only this call, so any object
with such a method plugs in. The classical fills that answer it (mean colour, harmonic,
Telea, Navier-Stokes, biharmonic) live in `kinpaint.baselines`.
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


def known_mean_colour(images, masks):
    """Mean colour of each image's known pixels: `(B, H, W, C)`, `(B, H, W, 1)` -> `(B, 1, 1, C)`
    float32; zeros for an image with no known pixel."""
    images = tf.cast(images, tf.float32)
    masks = tf.cast(masks, tf.float32)
    known = tf.reduce_sum(masks, axis=(1, 2), keepdims=True)
    return tf.reduce_sum(images * masks, axis=(1, 2), keepdims=True) / tf.maximum(known, 1.0)


def known_contrast(images, masks, floor=0.02):
    """RMS deviation of each image's known pixels from their mean colour, floored:
    `(B, H, W, C)`, `(B, H, W, 1)` -> `(B, 1, 1, 1)` float32, `sqrt(variance + floor^2)`."""
    images = tf.cast(images, tf.float32)
    masks = tf.cast(masks, tf.float32)
    deviations = tf.square(images - known_mean_colour(images, masks)) * masks
    count = tf.reduce_sum(masks, axis=(1, 2, 3), keepdims=True) * tf.cast(tf.shape(images)[-1], tf.float32)
    variance = tf.reduce_sum(deviations, axis=(1, 2, 3), keepdims=True) / tf.maximum(count, 1.0)
    return tf.sqrt(variance + floor**2)


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
