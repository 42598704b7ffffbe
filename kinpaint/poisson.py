"""Poisson blending (Pérez et al. 2003), as Yeh et al. 2017 use it to finish semantic inpainting,
and its special case the harmonic fill (a hole's smoothest continuation of its border)."""

import numpy as np
import tensorflow as tf

from kinpaint.inpainting import SOFT_MASK_THRESHOLD, composite, known_mean_colour


_CROSS = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.float32)[:, :, None, None]


def _neighbour_sum(values):
    """Sum of the 4 neighbours of every pixel (zero outside the image), one channel at a time."""
    channels = values.shape[-1]
    kernel = tf.constant(np.repeat(_CROSS, channels, axis=2))  # (3, 3, C, 1)
    return tf.nn.depthwise_conv2d(values, kernel, strides=(1, 1, 1, 1), padding="SAME")


@tf.function(reduce_retracing=True)
def _solve(images, holes, fills, start, max_iterations, tolerance, levels=None):
    """The hole's values `(B, H, W, C)` (0 at known pixels) of `laplacian(x) = laplacian(fills)`
    with the known pixels as boundary values: conjugate gradients, preconditioned by one
    multigrid V-cycle of `levels` levels per step (None: `MULTIGRID_LEVELS`; 0: plain
    conjugate gradients, which need about as many steps as the hole is wide, where the
    V-cycle needs 5 to 10 at any size)."""
    neighbours = _neighbour_sum(tf.ones_like(holes))  # 2, 3 or 4: Neumann border at the image's edge
    precondition = levels != 0
    levels = _levels(holes, neighbours, MULTIGRID_LEVELS if levels is None else levels)
    # For a hole pixel p: |N_p| x_p - sum over hole neighbours x_q = guidance + known neighbours.
    guidance = neighbours * fills - _neighbour_sum(fills)
    known = (1.0 - holes) * images
    rhs = holes * (guidance + _neighbour_sum(known))

    def dot(a, b):
        return tf.reduce_sum(a * b, axis=(1, 2), keepdims=True)  # per image and channel

    x = holes * start
    residual = rhs - _apply(x, holes, neighbours)
    scale = tf.maximum(dot(rhs, rhs), 1e-30)

    def not_done(step, x, residual, direction, along):
        return tf.logical_and(step < max_iterations, tf.reduce_any(dot(residual, residual) > tolerance**2 * scale))

    def iterate(step, x, residual, direction, along):
        smoothed = _v_cycle(residual, levels) if precondition else residual
        new_along = dot(residual, smoothed)
        direction = smoothed + tf.where(step > 0, new_along / tf.maximum(along, 1e-30), 0.0) * direction
        image_of_direction = _apply(direction, holes, neighbours)
        alpha = new_along / tf.maximum(dot(direction, image_of_direction), 1e-30)
        return step + 1, x + alpha * direction, residual - alpha * image_of_direction, direction, new_along

    zeros = tf.zeros_like(scale)
    _, x, *_ = tf.while_loop(not_done, iterate, (tf.constant(0), x, residual, tf.zeros_like(x), zeros))
    return x


def _apply(x, holes, neighbours):
    """The system's matrix times `x`: the negative Laplacian over the hole pixels, scaled by
    the squared pixel spacing, with known pixels held at 0 (Dirichlet) and the picture's edge
    reflecting (Neumann)."""
    return holes * (neighbours * x - _neighbour_sum(holes * x))


# The multigrid preconditioner. Each coarser level halves the sides; a coarse pixel is a hole
# only where its whole 2x2 block is (so every level keeps known pixels around its holes).
# Always as many levels, whatever the picture's static size says: a graph traced for a known size
# and one for an unknown size (a second call of another size, an export) then fill alike. Levels
# below a few pixels cost a few small operations; 8 take a 1024-pixel box down to 8 pixels.
MULTIGRID_LEVELS = 8
COARSEST_SWEEPS = 8
_TENT = np.outer([0.25, 0.5, 0.25], [0.25, 0.5, 0.25]).astype(np.float32)[:, :, None, None]


def _levels(holes, neighbours, count):
    """`[(holes, neighbours, (red_step, black_step))]` per level, finest first, each `(B, h, w, C)`:
    the level's hole indicator, in-picture neighbour count, and Gauss-Seidel step on the red
    and on the black squares of a checkerboard (0 elsewhere). Made once, before the solver's
    loop, so each of its steps runs (and traces) fewer operations."""
    levels = []
    for depth in range(count):
        if depth:
            holes = -tf.nn.max_pool2d(-holes, 2, 2, "SAME")
            neighbours = _neighbour_sum(tf.ones_like(holes))
        height, width = tf.shape(holes)[1], tf.shape(holes)[2]
        rows, columns = tf.reshape(tf.range(height), (1, -1, 1, 1)), tf.reshape(tf.range(width), (1, 1, -1, 1))
        red = tf.cast((rows + columns) % 2 == 0, tf.float32)
        step = holes / tf.maximum(neighbours, 1.0)
        levels.append((holes, neighbours, (red * step, (1.0 - red) * step)))
    return levels


def _v_cycle(residual, levels, depth=0):
    """An approximate solution of `_apply(x) = residual` at level `depth`: red-black Gauss-Seidel,
    the remaining residual solved at the next level and interpolated back, Gauss-Seidel in the
    reverse order. Symmetric, as conjugate gradients need of a preconditioner."""
    level = levels[depth]
    x = tf.zeros_like(residual)
    if depth + 1 == len(levels):
        for sweep in range(COARSEST_SWEEPS):
            x = _gauss_seidel(x, residual, level, reverse=sweep % 2 == 1)
        return x
    x = _gauss_seidel(x, residual, level)
    left = residual - _apply(x, *level[:2])
    correction = _v_cycle(levels[depth + 1][0] * _restrict(left), levels, depth + 1)
    x = x + level[0] * _prolong(correction, x)
    return _gauss_seidel(x, residual, level, reverse=True)


def _gauss_seidel(x, rhs, level, reverse=False):
    """One red-black Gauss-Seidel sweep (black first with `reverse`)."""
    holes, neighbours, steps = level
    for step in reversed(steps) if reverse else steps:
        x = x + step * (rhs - _apply(x, holes, neighbours))
    return x


def _tent(values):
    kernel = tf.constant(np.repeat(_TENT, values.shape[-1], axis=2))
    return tf.nn.depthwise_conv2d(values, kernel, (1, 1, 1, 1), "SAME")


def _prolong(coarse, fine):
    """`coarse` `(B, h, w, C)` interpolated bilinearly to `fine`'s size."""
    # Pixel i <- coarse pixel i // 2; this form of nearest neighbours converts to TFLite and ONNX.
    doubled = tf.raw_ops.ResizeNearestNeighbor(images=coarse, size=2 * tf.shape(coarse)[1:3], align_corners=False,
                                               half_pixel_centers=False)
    return _tent(doubled)[:, : tf.shape(fine)[1], : tf.shape(fine)[2]]


def _restrict(fine):
    """The transpose of `_prolong`: `fine` `(B, H, W, C)` -> `(B, ceil(H/2), ceil(W/2), C)`."""
    height, width = tf.shape(fine)[1], tf.shape(fine)[2]
    padded = _with_channels_of(tf.pad(fine, [[0, 0], [0, height % 2], [0, width % 2], [0, 0]]), fine)
    return 4.0 * tf.nn.avg_pool2d(_tent(padded), 2, 2, "VALID")


def poisson_blend(images, masks, fills, max_iterations=2000, tolerance=1e-6):
    """Blend `fills` into the holes of `images` so the hole keeps the fill's gradients.

    Solves, for the hole's pixels x, the discrete Poisson equation `laplacian(x) =
    laplacian(fill)` with the known pixels around the hole as boundary values (conjugate
    gradients preconditioned by a multigrid V-cycle, every image and channel at once). Known pixels are returned exactly.

    Args:
        images: `(B, H, W, C)` float, the known pixels (the hole's content is ignored).
        masks: `(B, H, W, 1)`, 1 = known, 0 = hole (a soft mask is rounded at 0.5).
        fills: `(B, H, W, C)`, e.g. a generator's output; only its gradients in the
            hole and across the hole's edge matter.
        max_iterations, tolerance: stop when every system's residual norm falls under
            `tolerance` times its right-hand side's, or after `max_iterations`.

    Returns:
        NumPy float32 `(B, H, W, C)`. An image with no known pixel keeps the fill.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    fills = tf.convert_to_tensor(fills, tf.float32)
    masks = _rounded(masks)
    if images.shape != fills.shape or masks.shape[:3] != images.shape[:3]:
        raise ValueError(f"poisson_blend takes images, masks and fills of one size; got {images.shape}, "
                         f"{masks.shape} and {fills.shape}")
    return np.asarray(_blend(images, masks, fills, max_iterations, tolerance))


def harmonic_fill(images, masks, max_iterations=60, tolerance=1e-5):
    """Fill each hole with the harmonic function that meets its border: every hole pixel the
    mean of its 4 neighbours (Poisson blending of a flat fill). A tensor op, usable
    inside a model; no gradient flows through it.

    `images` `(B, H, W, C)` float32, `masks` `(B, H, W, 1)` (1 = known; a soft mask is rounded
    at 0.5) -> `(B, H, W, C)` float32, known pixels exact; an image with no known pixel is
    filled with zeros.
    Only the box around the batch's holes, widened by one pixel, is solved (a hole's fill
    depends on nothing but the known pixels next to it), by multigrid-preconditioned
    conjugate gradients that stop at `tolerance` relative residual or after `max_iterations`
    steps (an int or an int tensor; 5 to 10 steps reach 1e-5 at any size).
    """
    images = tf.cast(images, tf.float32)
    masks = _rounded(masks)
    # A flat fill has no gradients, so any constant gives the same solution; the border's
    # mean colour (of the whole picture) starts the solver close to it.
    flat = tf.broadcast_to(known_mean_colour(images, masks), tf.shape(images))
    top, bottom, left, right = _hole_box(tf.reduce_any(masks < 0.5, axis=(0, 3)))

    def crop(values):
        return _with_channels_of(values[:, top:bottom, left:right], values)

    solved = _blend(crop(images), crop(masks), crop(flat), max_iterations, tolerance)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    solved = _with_channels_of(tf.pad(solved, [[0, 0], [top, height - bottom], [left, width - right], [0, 0]]), images)
    return tf.stop_gradient(_known_kept(images, masks, solved, flat))


def _rounded(masks):
    """`masks` as float32 0 and 1, a soft mask rounded as the models round it (at least
    `SOFT_MASK_THRESHOLD` is known), so a fill never blends a hole's pixel into the picture."""
    return tf.cast(tf.convert_to_tensor(masks, tf.float32) >= SOFT_MASK_THRESHOLD, tf.float32)


def _hole_box(any_hole):
    """`(top, bottom, left, right)`, int32 scalars: the box around the `True` pixels of
    `any_hole` `(H, W)`, widened by one pixel and clipped to the picture."""
    height, width = tf.shape(any_hole)[0], tf.shape(any_hole)[1]
    rows = tf.cast(tf.where(tf.reduce_any(any_hole, axis=1))[:, 0], tf.int32)
    columns = tf.cast(tf.where(tf.reduce_any(any_hole, axis=0))[:, 0], tf.int32)
    # Without any hole, a 1x1 box, where the solver has nothing to do.
    found = tf.size(rows) > 0
    top, bottom = tf.where(found, tf.reduce_min(rows), 0), tf.where(found, tf.reduce_max(rows) + 1, 1)
    left, right = tf.where(found, tf.reduce_min(columns), 0), tf.where(found, tf.reduce_max(columns) + 1, 1)
    return tf.maximum(top - 1, 0), tf.minimum(bottom + 1, height), tf.maximum(left - 1, 0), tf.minimum(right + 1, width)


def _with_channels_of(values, like):
    """`values` reshaped to its own dynamic shape with `like`'s static channel count: after a
    crop or pad of dynamic sizes, the converters (TFLite, tf2onnx) need the channels restated."""
    channels = tf.shape(like)[3:] if like.shape[-1] is None else [like.shape[-1]]
    return tf.reshape(values, tf.concat([tf.shape(values)[:3], channels], axis=0))


def _blend(images, masks, fills, max_iterations, tolerance, levels=None):
    """`poisson_blend`'s solution as a tensor, known pixels kept (the fill where none is known)."""
    holes = tf.broadcast_to(tf.cast(masks < 0.5, tf.float32), tf.shape(images))
    # The solver's inputs leave any gradient tape: under one (a training step), a call of
    # `_solve` with watched inputs also traced the gradient of its while loop.
    solved = _solve(tf.stop_gradient(images), holes, tf.stop_gradient(fills), tf.stop_gradient(fills),
                    tf.cast(max_iterations, tf.int32), tf.constant(float(tolerance)), levels)
    return _known_kept(images, masks, solved, fills)


def _known_kept(images, masks, solved, fallback):
    """The known pixels of `images` with `solved` in the holes; `fallback` for an image with
    no known pixel (no border to solve from)."""
    has_border = tf.reduce_any(masks >= 0.5, axis=(1, 2, 3))[:, None, None, None]
    return composite(images, masks, tf.where(has_border, solved, fallback))
