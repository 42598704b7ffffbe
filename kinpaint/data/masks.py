"""Inpainting masks.

Convention, everywhere in kinpaint: a mask has shape `(H, W, 1)` (or `(N, H, W, 1)`
for a batch), float32, **1 = known pixel, 0 = hole**. A composite is
`mask * image + (1 - mask) * fill`.

Every random mask generator takes a `seed` and gives the same masks for the same
seed.
"""

import numpy as np

from kinpaint.options import MASK_KINDS


def centre_mask(size=64, hole=32):
    """The hidden centre square of the IFT6266 task.

    Args:
        size: image side (int) or `(height, width)`.
        hole: hole side (int) or `(height, width)`, centred.

    Returns:
        float32 array `(H, W, 1)`, 0 inside the centred hole, 1 elsewhere.
    """
    height, width = _pair(size)
    hole_height, hole_width = _pair(hole)
    if not (0 < hole_height <= height and 0 < hole_width <= width):
        raise ValueError(f"hole {hole_height}x{hole_width} must fit in image {height}x{width}")
    mask = np.ones((height, width, 1), np.float32)
    top, left = (height - hole_height) // 2, (width - hole_width) // 2
    mask[top : top + hole_height, left : left + hole_width] = 0.0
    return mask


def rectangle_masks(count, size=64, min_side=8, max_side=32, seed=0):
    """`count` masks, each with one axis-aligned rectangular hole at a random place.

    Returns:
        float32 array `(count, H, W, 1)`.
    """
    height, width = _pair(size)
    if not 0 < min_side <= max_side <= min(height, width):
        raise ValueError(
            f"need 0 < min_side <= max_side <= {min(height, width)}, "
            f"got min_side={min_side}, max_side={max_side}"
        )
    rng = np.random.default_rng(seed)
    masks = np.ones((count, height, width, 1), np.float32)
    for mask in masks:
        hole_height, hole_width = rng.integers(min_side, max_side + 1, size=2)
        top = rng.integers(0, height - hole_height + 1)
        left = rng.integers(0, width - hole_width + 1)
        mask[top : top + hole_height, left : left + hole_width] = 0.0
    return masks


def stroke_masks(count, size=64, strokes=(1, 4), vertices=(4, 10), width=(3, 9), seed=0):
    """`count` free-form masks: random thick polylines, as in free-form inpainting.

    Args:
        strokes: inclusive range of the number of strokes per mask.
        vertices: inclusive range of polyline vertices per stroke.
        width: inclusive range of brush diameters in pixels.

    Returns:
        float32 array `(count, H, W, 1)`.
    """
    height, width_px = _pair(size)
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width_px]
    masks = np.ones((count, height, width_px, 1), np.float32)
    max_step = max(height, width_px) / 4
    for mask in masks:
        hole = np.zeros((height, width_px), bool)
        for _ in range(rng.integers(strokes[0], strokes[1] + 1)):
            radius = rng.integers(width[0], width[1] + 1) / 2
            point = rng.uniform((0, 0), (height, width_px))
            for _ in range(rng.integers(vertices[0], vertices[1] + 1)):
                angle = rng.uniform(0, 2 * np.pi)
                step = rng.uniform(max_step / 4, max_step)
                end = np.clip(point + step * np.array([np.sin(angle), np.cos(angle)]),
                              0, (height - 1, width_px - 1))
                hole |= _segment_distance(rows, cols, point, end) <= radius
                point = end
        mask[hole] = 0.0
    return masks


def make_masks(kind, count, size=64, hole=32, seed=0):
    """Masks of one kind by name: `"centre"` (repeated), `"rectangle"`, `"strokes"`, or `"mixed"`
    (a third of each, interleaved).

    Returns:
        float32 array `(count, H, W, 1)`.
    """
    if kind == "centre":
        return np.repeat(centre_mask(size, hole)[None], count, axis=0)
    if kind == "rectangle":
        return rectangle_masks(count, size, max_side=min(_pair(hole)), seed=seed)
    if kind == "strokes":
        return stroke_masks(count, size, seed=seed)
    if kind == "mixed":
        parts = [make_masks(part, -(-count // 3), size, hole, seed) for part in ("centre", "rectangle", "strokes")]
        return np.stack(parts, axis=1).reshape(-1, *parts[0].shape[1:])[:count]
    raise ValueError(f"unknown mask kind {kind!r}; choose one of {MASK_KINDS}")


def check_masks(masks, image_shape=None):
    """Raise `ValueError` unless `masks` follow the convention (and fit `image_shape`)."""
    masks = np.asarray(masks)
    if masks.ndim not in (3, 4) or masks.shape[-1] != 1:
        raise ValueError(f"masks must have shape (H, W, 1) or (N, H, W, 1), got {masks.shape}")
    if image_shape is not None and tuple(masks.shape[-3:-1]) != tuple(image_shape[-3:-1]):
        raise ValueError(
            f"mask size {masks.shape[-3:-1]} does not match image size {image_shape[-3:-1]}"
        )
    if masks.size and (masks.min() < 0 or masks.max() > 1):
        raise ValueError("mask values must lie in [0, 1] (1 = known pixel, 0 = hole)")
    return masks


def _pair(value):
    if np.ndim(value) == 0:
        return int(value), int(value)
    height, width = value
    return int(height), int(width)


def _segment_distance(rows, cols, start, end):
    """Distance of every pixel centre to the segment start-end."""
    direction = end - start
    length_squared = float(direction @ direction) or 1.0
    t = ((rows - start[0]) * direction[0] + (cols - start[1]) * direction[1]) / length_squared
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(rows - (start[0] + t * direction[0]), cols - (start[1] + t * direction[1]))
