"""Poisson blending (Pérez et al. 2003), as Yeh et al. 2017 use it to finish semantic inpainting,
and its special case the harmonic fill (a hole's smoothest continuation of its border)."""

import numpy as np
import tensorflow as tf

from kinpaint.inpainting import composite, known_mean_colour


_CROSS = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.float32)[:, :, None, None]


def _neighbour_sum(values):
    """Sum of the 4 neighbours of every pixel (zero outside the image), one channel at a time."""
    channels = values.shape[-1]
    kernel = tf.constant(np.repeat(_CROSS, channels, axis=2))  # (3, 3, C, 1)
    return tf.nn.depthwise_conv2d(values, kernel, strides=(1, 1, 1, 1), padding="SAME")


@tf.function(reduce_retracing=True)
def _solve(images, holes, fills, start, max_iterations, tolerance):
    inside = tf.ones_like(holes)
    neighbours = _neighbour_sum(inside)  # 2, 3 or 4: Neumann border at the image's edge
    # For a hole pixel p: |N_p| x_p - sum over hole neighbours x_q = guidance + known neighbours.
    guidance = neighbours * fills - _neighbour_sum(fills)
    known = (1.0 - holes) * images
    rhs = holes * (guidance + _neighbour_sum(known))

    def apply(x):
        return holes * (neighbours * x - _neighbour_sum(holes * x))

    def dot(a, b):
        return tf.reduce_sum(a * b, axis=(1, 2), keepdims=True)  # per image and channel

    x = holes * start
    residual = rhs - apply(x)
    direction = residual
    squared = dot(residual, residual)
    scale = tf.maximum(dot(rhs, rhs), 1e-30)

    def not_done(step, x, residual, direction, squared):
        return tf.logical_and(step < max_iterations, tf.reduce_any(squared > tolerance**2 * scale))

    def iterate(step, x, residual, direction, squared):
        image_of_direction = apply(direction)
        alpha = squared / tf.maximum(dot(direction, image_of_direction), 1e-30)
        x = x + alpha * direction
        residual = residual - alpha * image_of_direction
        new_squared = dot(residual, residual)
        direction = residual + (new_squared / tf.maximum(squared, 1e-30)) * direction
        return step + 1, x, residual, direction, new_squared

    _, x, *_ = tf.while_loop(not_done, iterate, (tf.constant(0), x, residual, direction, squared))
    return x


def poisson_blend(images, masks, fills, max_iterations=2000, tolerance=1e-6):
    """Blend `fills` into the holes of `images` so the hole keeps the fill's gradients.

    Solves, for the hole's pixels x, the discrete Poisson equation `laplacian(x) =
    laplacian(fill)` with the known pixels around the hole as boundary values (conjugate
    gradients, every image and channel at once). Known pixels are returned exactly.

    Args:
        images: `(B, H, W, C)` float, the known pixels (the hole's content is ignored).
        masks: `(B, H, W, 1)`, 1 = known, 0 = hole.
        fills: `(B, H, W, C)`, e.g. a generator's output; only its gradients in the
            hole and across the hole's edge matter.
        max_iterations, tolerance: stop when every system's residual norm falls under
            `tolerance` times its right-hand side's, or after `max_iterations`.

    Returns:
        NumPy float32 `(B, H, W, C)`. An image with no known pixel keeps the fill.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    fills = tf.convert_to_tensor(fills, tf.float32)
    masks = tf.convert_to_tensor(masks, tf.float32)
    if images.shape != fills.shape or masks.shape[:3] != images.shape[:3]:
        raise ValueError(f"poisson_blend takes images, masks and fills of one size; got {images.shape}, "
                         f"{masks.shape} and {fills.shape}")
    return np.asarray(_blend(images, masks, fills, max_iterations, tolerance))


def harmonic_fill(images, masks, max_iterations=60, tolerance=1e-4):
    """Fill each hole with the harmonic function that meets its border: every hole pixel the
    mean of its 4 neighbours (Poisson blending of a flat fill). A tensor op, usable
    inside a model; no gradient flows through it.

    `images` `(B, H, W, C)` float32, `masks` `(B, H, W, 1)` (1 = known) -> `(B, H, W, C)`
    float32, known pixels exact; an image with no known pixel is filled with zeros.
    Conjugate gradients stop at `tolerance` relative residual or `max_iterations` (an int or
    an int tensor: from a flat start, a hole's middle needs about as many steps as the
    picture is wide); on 64x64 photographs with 32x32 holes, 60 steps come within 0.01 dB
    of the exact fill. Only the box around the batch's holes is solved: a hole's fill
    depends on nothing but the known pixels next to it, so the box needs a margin of one
    pixel (`CROP_MARGIN`), or `COARSE_CROP_MARGIN` where the box's side is above
    `COARSE_TO_FINE_ABOVE` pixels: such a box starts from the fill of the box at half size
    (recursively, `COARSE_LEVELS` times), which meets the tolerance in far fewer steps than a
    flat start, and the wider margin keeps known pixels around the hole at every level.
    """
    images = tf.cast(images, tf.float32)
    masks = tf.cast(masks, tf.float32)
    # A flat fill has no gradients, so any constant gives the same solution; the border's
    # mean colour (of the whole picture) starts the solver close to it.
    flat = tf.broadcast_to(known_mean_colour(images, masks), tf.shape(images))
    top, bottom, left, right = _hole_box(tf.reduce_any(masks < 0.5, axis=(0, 3)))

    def crop(values):
        return _with_channels_of(values[:, top:bottom, left:right], values)

    solved = _harmonic_solve(crop(images), crop(masks), crop(flat), max_iterations, tolerance)  # 0 at known pixels
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    solved = _with_channels_of(tf.pad(solved, [[0, 0], [top, height - bottom], [left, width - right], [0, 0]]), images)
    return tf.stop_gradient(_known_kept(images, masks, solved, flat))


CROP_MARGIN = 1
COARSE_CROP_MARGIN = 16


def _hole_box(any_hole):
    """`(top, bottom, left, right)`, int32 scalars: the box around the `True` pixels of
    `any_hole` `(H, W)`, widened by the margin and clipped to the picture."""
    height, width = tf.shape(any_hole)[0], tf.shape(any_hole)[1]
    rows = tf.cast(tf.where(tf.reduce_any(any_hole, axis=1))[:, 0], tf.int32)
    columns = tf.cast(tf.where(tf.reduce_any(any_hole, axis=0))[:, 0], tf.int32)
    # Without any hole, a 1x1 box, where the solver has nothing to do.
    found = tf.size(rows) > 0
    top, bottom = tf.where(found, tf.reduce_min(rows), 0), tf.where(found, tf.reduce_max(rows) + 1, 1)
    left, right = tf.where(found, tf.reduce_min(columns), 0), tf.where(found, tf.reduce_max(columns) + 1, 1)
    side = tf.maximum(bottom - top, right - left) + 2 * CROP_MARGIN
    margin = tf.where(side > COARSE_TO_FINE_ABOVE, COARSE_CROP_MARGIN, CROP_MARGIN)
    return (tf.maximum(top - margin, 0), tf.minimum(bottom + margin, height),
            tf.maximum(left - margin, 0), tf.minimum(right + margin, width))


def _with_channels_of(values, like):
    """`values` reshaped to its own dynamic shape with `like`'s static channel count: after a
    crop or pad of dynamic sizes, the converters (TFLite, tf2onnx) need the channels restated."""
    channels = tf.shape(like)[3:] if like.shape[-1] is None else [like.shape[-1]]
    return tf.reshape(values, tf.concat([tf.shape(values)[:3], channels], axis=0))


def _harmonic_solve(images, masks, flat, max_iterations, tolerance):
    """Conjugate gradients from `flat` (or, for a side above `COARSE_TO_FINE_ABOVE`, from the
    coarse start) over the whole of `images`: the hole's values, 0 at known pixels."""
    large = tf.reduce_max(tf.shape(images)[1:3]) > COARSE_TO_FINE_ABOVE
    start = tf.cond(large, lambda: _coarse_start(images, masks, max_iterations, tolerance), lambda: flat)
    holes = tf.broadcast_to(tf.cast(masks < 0.5, tf.float32), tf.shape(images))
    return _solve(images, holes, flat, start, tf.cast(max_iterations, tf.int32), tf.constant(float(tolerance)))


def _conjugate_gradient_fill(images, masks, max_iterations=60, tolerance=1e-4):
    """`harmonic_fill` as it was before issue 33: the same solver over the whole picture,
    whatever the holes' size. The reference that `benchmarks/harmonic_start.py` and the
    tests compare against."""
    images = tf.cast(images, tf.float32)
    masks = tf.cast(masks, tf.float32)
    flat = tf.broadcast_to(known_mean_colour(images, masks), tf.shape(images))
    return tf.stop_gradient(_known_kept(images, masks, _harmonic_solve(images, masks, flat, max_iterations, tolerance),
                                        flat))


COARSE_TO_FINE_ABOVE = 96
COARSE_LEVELS = 4


def _coarse_start(images, masks, max_iterations, tolerance):
    """The harmonic fill of the picture at half size, solved the same way from a quarter
    size, and so on `COARSE_LEVELS` times, scaled back up to the picture's size."""
    pyramid = [(images, masks)]
    for _ in range(COARSE_LEVELS):
        pyramid.append(_half_size(*pyramid[-1]))
    start = None
    for level_images, level_masks in reversed(pyramid[1:]):
        flat = tf.broadcast_to(known_mean_colour(level_images, level_masks), tf.shape(level_images))
        start = flat if start is None else tf.image.resize(start, tf.shape(level_images)[1:3])
        start = _blend(level_images, level_masks, flat, max_iterations, tolerance, start)
    return tf.image.resize(start, tf.shape(images)[1:3])


def _half_size(images, masks):
    """`(images, masks)` at half size (rounded up): each 2x2 block's mean of its known pixels,
    known where more than half of the block is known."""
    known = tf.nn.avg_pool2d(masks, 2, 2, "SAME")
    mean = tf.nn.avg_pool2d(images * masks, 2, 2, "SAME") / tf.maximum(known, 1e-6)
    return mean, tf.cast(known > 0.5, tf.float32)


def _blend(images, masks, fills, max_iterations, tolerance, start=None):
    holes = tf.broadcast_to(tf.cast(masks < 0.5, tf.float32), tf.shape(images))
    start = fills if start is None else start
    solved = _solve(images, holes, fills, start, tf.cast(max_iterations, tf.int32), tf.constant(float(tolerance)))
    return _known_kept(images, masks, solved, fills)


def _known_kept(images, masks, solved, fallback):
    """The known pixels of `images` with `solved` in the holes; `fallback` for an image with
    no known pixel (no border to solve from)."""
    has_border = tf.reduce_any(masks >= 0.5, axis=(1, 2, 3))[:, None, None, None]
    return composite(images, masks, tf.where(has_border, solved, fallback))
