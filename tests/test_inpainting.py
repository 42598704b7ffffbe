import numpy as np
import pytest

from kinpaint.data.masks import centre_mask, stroke_masks
from kinpaint.data.pipeline import make_dataset
from kinpaint.evaluation import evaluate_inpainter, format_table
from kinpaint.inpainting import Inpainter, MeanColourFill, check_inpainter, composite, known_contrast


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


def test_mean_colour_fill():
    images = np.zeros((1, 8, 8, 3), np.float32)
    images[0, :, :4] = 1.0
    masks = stroke_masks(1, 8, seed=1)
    filled = MeanColourFill().inpaint(images, masks).numpy()
    known = masks[0, ..., 0] == 1
    np.testing.assert_array_equal(filled[0][known], images[0][known])
    expected = images[0][known].mean(axis=0)
    np.testing.assert_allclose(filled[0][~known], np.broadcast_to(expected, filled[0][~known].shape), atol=1e-6)


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


def test_evaluation_of_mean_colour_on_shapes():
    dataset = make_dataset("shapes", split="test", batch_size=16, shuffle=False)
    results = evaluate_inpainter(MeanColourFill(), dataset, max_batches=2)
    assert results["images"] == 32
    assert 8 < results["hole_psnr"] < 30
    assert results["image_psnr"] > results["hole_psnr"]
    table = format_table({"mean colour": results})
    assert "mean colour" in table and f"{results['hole_psnr']:.4f}" in table


class Truth:
    """An oracle that knows the answer: its scores are the metric ceilings."""

    def __init__(self, images):
        self.images = images

    def inpaint(self, images, masks, captions=None):
        return self.images


def test_evaluation_of_a_perfect_inpainter():
    images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32)
    batch = {"image": images, "mask": np.repeat(centre_mask(16, 8)[None], 4, 0)}
    results = evaluate_inpainter(Truth(images), [batch])
    assert results["hole_psnr"] == pytest.approx(100.0) and results["hole_l1"] == 0.0
