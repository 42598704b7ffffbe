"""Poisson blending (Pérez et al. 2003), as Yeh et al. 2017 use it to finish semantic inpainting."""

import numpy as np
import tensorflow as tf

from kinpaint.inpainting import composite


def _shift(values, axis, step):
    """`values` moved by `step` along `axis` (1 = rows, 2 = columns), zeros shifted in."""
    size = tf.shape(values)[axis]
    if step > 0:
        kept = tf.gather(values, tf.range(0, size - 1), axis=axis)
        pad = [[0, 0]] * 4
        pad[axis] = [1, 0]
    else:
        kept = tf.gather(values, tf.range(1, size), axis=axis)
        pad = [[0, 0]] * 4
        pad[axis] = [0, 1]
    return tf.pad(kept, pad)


_DIRECTIONS = ((1, 1), (1, -1), (2, 1), (2, -1))


def _neighbour_sum(values):
    """Sum of the 4 neighbours of every pixel (zero outside the image)."""
    return tf.add_n([_shift(values, axis, step) for axis, step in _DIRECTIONS])


@tf.function(reduce_retracing=True)
def _solve(images, holes, fills, max_iterations, tolerance):
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

    x = holes * fills
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
    holes = tf.broadcast_to(tf.cast(masks < 0.5, tf.float32), tf.shape(images))
    solved = _solve(images, holes, fills, tf.constant(int(max_iterations)), tf.constant(float(tolerance)))
    has_border = tf.reduce_any(masks >= 0.5, axis=(1, 2, 3))[:, None, None, None]
    blended = tf.where(has_border, solved, fills)
    return np.asarray(composite(images, masks, blended))
