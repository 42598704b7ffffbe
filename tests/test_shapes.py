"""The built-in shapes data: captions carry the centre (`kinpaint.data.shapes`)."""

import numpy as np
import pytest

from kinpaint.data.shapes import COLOURS, load_shapes


def test_shapes_are_deterministic_and_splits_differ():
    images, captions, scenes = load_shapes("train", count=20, seed=4)
    again, captions_again, _ = load_shapes("train", count=20, seed=4)
    np.testing.assert_array_equal(images, again)
    assert captions == captions_again
    other, _, _ = load_shapes("test", count=20, seed=4)
    assert not np.array_equal(images, other)
    assert images.shape == (20, 64, 64, 3) and images.dtype == np.uint8


def test_every_shapes_caption_names_the_centre_object():
    _, captions, scenes = load_shapes("val", count=50)
    for per_image, scene in zip(captions, scenes):
        assert 5 <= len(per_image) <= 7
        assert len(set(per_image)) == len(per_image)
        for caption in per_image:
            assert scene["centre"]["colour"] in caption and scene["centre"]["shape"] in caption


def test_shapes_centre_object_lies_wholly_inside_the_hole():
    """Where no border object shares the centre object's colour, every pixel of that
    colour is inside the hidden 32x32 square, so the border cannot reveal it."""
    images, _, scenes = load_shapes("train", count=300)
    checked = 0
    for image, scene in zip(images, scenes):
        colour = scene["centre"]["colour"]
        if any(n["colour"] == colour for n in scene["neighbours"]):
            continue
        close = np.abs(image.astype(int) - np.array(COLOURS[colour])).sum(axis=-1) < 40
        rows, cols = np.nonzero(close)
        assert len(rows) > 20, "centre object not drawn"
        assert rows.min() >= 16 and rows.max() < 48 and cols.min() >= 16 and cols.max() < 48
        checked += 1
    assert checked > 150


@pytest.mark.slow
def test_centre_colour_is_not_predictable_from_the_border():
    """Border colour statistics are the same whichever colour the centre object has."""
    images, _, scenes = load_shapes("train", count=1500)
    border = images.astype(np.float32).copy()
    border[:, 16:48, 16:48] = np.nan
    means = np.nanmean(border.reshape(len(images), -1, 3), axis=1)
    by_colour = {}
    for mean, scene in zip(means, scenes):
        by_colour.setdefault(scene["centre"]["colour"], []).append(mean)
    centroids = np.array([np.mean(v, axis=0) for v in by_colour.values()])
    spread = np.std(means, axis=0).mean()
    assert np.ptp(centroids, axis=0).max() < 0.35 * spread
