import numpy as np
import pytest

from kinpaint.baselines import MeanColourFill
from kinpaint.inpainting import Inpainter, check_inpainter, composite, known_contrast


def test_composite_keeps_known_pixels_exactly():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
    fills = np.full_like(images, np.nan)  # even a NaN fill must not leak into known pixels
    masks = np.ones((2, 8, 8, 1), np.float32)
    masks[:, 2:4, 2:4] = 0
    result = np.asarray(composite(images, masks, fills))
    known = np.broadcast_to(masks == 1, images.shape)
    np.testing.assert_array_equal(result[known], images[known])
    assert np.isnan(result[~known]).all()


def test_known_contrast_is_the_floored_rms_deviation_of_the_known_pixels():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (3, 8, 8, 3)).astype(np.float32)
    images[2] = 0.25  # flat: only the floor is left
    masks = np.ones((3, 8, 8, 1), np.float32)
    masks[:, 2:6, 2:6] = 0
    contrast = np.asarray(known_contrast(images, masks, floor=0.02))
    assert contrast.shape == (3, 1, 1, 1)
    for image, mask, value in zip(images, masks, contrast[:, 0, 0, 0]):
        known = image[mask[..., 0] == 1]  # (K, 3)
        expected = np.sqrt(np.mean((known - known.mean(axis=0)) ** 2) + 0.02**2)
        np.testing.assert_allclose(value, expected, rtol=1e-5)
    np.testing.assert_allclose(contrast[2], 0.02, rtol=1e-5)


def test_interface_check():
    assert isinstance(MeanColourFill(), Inpainter)
    with pytest.raises(TypeError, match="no inpaint"):
        check_inpainter(object())

