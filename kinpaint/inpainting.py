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


class MeanColourFill:
    """Classical baseline: fill each image's hole with the mean colour of its known pixels."""

    def inpaint(self, images, masks, captions=None):
        images = tf.convert_to_tensor(images, tf.float32)
        masks = tf.convert_to_tensor(masks, tf.float32)
        fills = tf.broadcast_to(known_mean_colour(images, masks), tf.shape(images))
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


def inpaint_full_resolution(inpainter, pixels, hole, size, caption=None):
    """Fill `hole` of an image of any size with a model that works at `size` x `size`.

    The image is resized to the model's size, filled, and the fill is resized back and
    pasted into the hole only: every pixel outside the hole keeps its exact value.

    Args:
        pixels: uint8 `(H, W, 3)`.
        hole: bool `(H, W)`, True where the picture is to be filled.
        size: the model's image side.
        caption: one caption string (or vector), or `None`.

    Returns:
        uint8 `(H, W, 3)`.
    """
    from PIL import Image

    from kinpaint.images import to_model_range, to_uint8

    pixels = np.asarray(pixels, np.uint8)
    hole = np.asarray(hole, bool)
    if hole.shape != pixels.shape[:2]:
        raise ValueError(f"the mask is {hole.shape[1]}x{hole.shape[0]} but the image is "
                         f"{pixels.shape[1]}x{pixels.shape[0]}")
    if not hole.any():
        return pixels.copy()
    height, width = hole.shape
    small = np.asarray(Image.fromarray(pixels).resize((size, size), Image.BICUBIC))
    # A model pixel is known only if every picture pixel it covers is known.
    coverage = np.asarray(Image.fromarray((~hole).astype(np.float32)).resize((size, size), Image.BOX))
    masks = (coverage >= 1.0 - 1e-6).astype(np.float32)[None, :, :, None]
    captions = None if caption is None else ([caption] if isinstance(caption, str) else np.asarray(caption)[None])
    filled = inpainter.inpaint(to_model_range(small[None]), masks, captions)
    fill = to_uint8(np.asarray(filled)[0])
    large = np.asarray(Image.fromarray(fill).resize((width, height), Image.BICUBIC))
    return np.where(hole[:, :, None], large, pixels)
