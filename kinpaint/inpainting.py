"""The one call every hole-filling model answers, and the helpers its answers share.

    inpaint(images, masks, captions=None) -> images

- `images`: float32 `(B, H, W, 3)` in [-1, 1] (the hole's content is ignored);
- `masks`: `(B, H, W, 1)`, 1 = known pixel, 0 = hole; a soft mask (an anti-aliased edge, a
  resized mask) is rounded at 0.5: a value of at least 0.5 is known, below 0.5 a hole
  (`SOFT_MASK_THRESHOLD`, applied by `fill_inputs` for every model's fill);
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

IMAGE_RANGE_SLACK = 0.01  # float rounding around [-1, 1] that is still accepted
SOFT_MASK_THRESHOLD = 0.5  # a mask value at least this is a known pixel, below it a hole


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


def hole_depth(masks, at_most=None):
    """The depth of each mask's hole: `(B, H, W, 1)` (1 = known) -> `(B,)` ints, the most
    steps (to any of 8 neighbours) from a hole pixel to the nearest known pixel; 0 without
    a hole. The picture's edge is not a known pixel. With `at_most`, a deeper hole counts
    `at_most` (the count stops there: one step costs a pass over the masks)."""
    hole = np.asarray(masks)[..., 0] < 0.5
    height, width = hole.shape[1:]
    depth = np.zeros(len(hole), np.int64)
    for _ in range(max(height, width) if at_most is None else at_most):
        present = hole.any(axis=(1, 2))
        if not present.any():
            break
        depth += present
        rows = np.pad(hole, ((0, 0), (1, 1), (0, 0)), constant_values=True)  # a pixel stays hole while all its
        hole = rows[:, :-2] & rows[:, 1:-1] & rows[:, 2:]  # neighbours are: the 3x3 minimum, by rows then columns
        columns = np.pad(hole, ((0, 0), (0, 0), (1, 1)), constant_values=True)
        hole = columns[:, :, :-2] & columns[:, :, 1:-1] & columns[:, :, 2:]
    return depth


def check_inpainter(model):
    """Raise `TypeError` unless `model` has an `inpaint(images, masks, captions=None)` method."""
    if not isinstance(model, Inpainter):
        raise TypeError(
            f"{type(model).__name__} has no inpaint(images, masks, captions=None) method; "
            "see kinpaint.inpainting"
        )
    return model


def fill_inputs(images, masks, owner, size=None, reads_hole=False):
    """`(images, masks)` of a fill as float32 NumPy arrays, checked once for every fill (a
    model's `inpaint`, an exported graph's): images `(B, H, W, 3)` and masks `(B, H, W, 1)`,
    `(H, W)` = `size` unless it is None, values as `check_image_values` wants them. The masks
    come back binary, rounded at `SOFT_MASK_THRESHOLD` (a soft mask's 0.3 is a hole, 0.7 a
    known pixel), so a fill never blends a hole into its result. The hole's content is set to
    0 (a fill must not read it, and NaN there is harmless) unless `reads_hole` (a likelihood of
    the true hole values, checked everywhere). `owner` names the model in errors."""
    images = np.asarray(images, np.float32)
    masks = np.asarray(masks, np.float32)
    height, width = ("H", "W") if size is None else size
    if (images.ndim != 4 or images.shape[-1] != 3 or masks.shape != (*images.shape[:3], 1)
            or (size is not None and images.shape[1:3] != tuple(size))):
        raise ValueError(f"{owner} takes images (batch, {height}, {width}, 3) and masks (batch, {height}, {width}, 1); "
                         f"got {images.shape} and {masks.shape}")
    check_image_values(images, np.ones_like(masks) if reads_hole else masks, owner)
    masks = (masks >= SOFT_MASK_THRESHOLD).astype(np.float32)
    if not reads_hole:
        images = np.where(masks == 1.0, images, 0.0).astype(np.float32)
    return images, masks


def check_image_values(images, masks, owner):
    """Raise a `ValueError` naming `owner` unless the NumPy `masks` are finite in [0, 1] and the
    `images` finite in [-1, 1] where `masks` says they are known (a hole's content is ignored)."""
    masks = np.asarray(masks)
    if masks.size and not np.isfinite(masks).all():
        raise ValueError(f"{owner} got masks holding NaN or infinite values; masks are 1 = known pixel, 0 = hole")
    if masks.size and (masks.min() < 0 or masks.max() > 1):
        raise ValueError(f"{owner} takes masks in [0, 1] (1 = known pixel, 0 = hole); got values in "
                         f"[{masks.min():g}, {masks.max():g}]")
    known = np.broadcast_to(masks >= SOFT_MASK_THRESHOLD, images.shape)
    values = images[known]
    if values.size and not np.isfinite(values).all():
        raise ValueError(f"{owner} got {int((~np.isfinite(values)).sum())} NaN or infinite values in the known "
                         "pixels; fill or mask them first")
    if values.size and (values.min() < -1.0 - IMAGE_RANGE_SLACK or values.max() > 1.0 + IMAGE_RANGE_SLACK):
        raise ValueError(f"{owner} takes images in [-1, 1]; got values in [{values.min():g}, {values.max():g}] "
                         "(uint8 pictures: kinpaint.images.to_model_range converts them)")


def as_numpy(values):
    return values.numpy() if hasattr(values, "numpy") else np.asarray(values)
