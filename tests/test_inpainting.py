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


def test_a_soft_mask_is_rounded_at_one_half_so_a_fill_never_blends_the_hole():
    from kinpaint.inpainting import fill_inputs

    images = np.full((1, 4, 4, 3), 0.8, np.float32)
    masks = np.ones((1, 4, 4, 1), np.float32)
    masks[0, 0, :2] = 0.3  # below 0.5: a hole
    masks[0, 1, :2] = 0.7  # at least 0.5: known
    masks[0, 2, :2] = 0.5
    checked_images, checked_masks = fill_inputs(images, masks, "test")
    expected = np.ones_like(masks)
    expected[0, 0, :2] = 0
    np.testing.assert_array_equal(checked_masks, expected)
    np.testing.assert_array_equal(checked_images[0, 0, :2], 0.0)  # the hole is never read
    np.testing.assert_array_equal(checked_images[0, 1:], images[0, 1:])
    fills = np.full_like(images, -0.5)
    result = np.asarray(composite(checked_images, checked_masks, fills))
    np.testing.assert_array_equal(result[0, 0, :2], -0.5)  # the fill, not 0.3 * 0 + 0.7 * fill
    np.testing.assert_array_equal(result[0, 1:], images[0, 1:])


@pytest.mark.slow
def test_a_models_fill_under_a_soft_hole_is_its_fill_under_a_hard_one():
    from kinpaint.models import FourierInpainter

    model = FourierInpainter(image_size=8, width=4, blocks=1, downsamples=1)
    images = np.random.default_rng(0).uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)
    hard = np.ones((1, 8, 8, 1), np.float32)
    hard[:, 2:6, 2:6] = 0
    soft = np.where(hard == 0, 0.3, 0.9).astype(np.float32)
    np.testing.assert_array_equal(model.inpaint(images, soft), model.inpaint(images, hard))
