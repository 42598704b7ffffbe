"""Filling a user's picture of any size (`kinpaint.pictures`); `kinpaint inpaint` end to end is in test_cli_models."""

import re

import numpy as np
import pytest
from PIL import Image

from kinpaint.baselines import MeanColourFill
from kinpaint.pictures import inpaint_full_resolution, picture_centre_mask, read_mask_file


def write_mask(path, white):
    """A grayscale mask picture: 255 where `white` is true, 0 elsewhere."""
    Image.fromarray(np.where(white, 255, 0).astype(np.uint8)).save(path)
    return str(path)


def test_read_mask_file_white_is_the_hole(tmp_path):
    white = np.zeros((6, 10), bool)
    white[1:4, 2:7] = True
    mask = read_mask_file(write_mask(tmp_path / "mask.png", white), (6, 10))
    assert mask.shape == (6, 10, 1) and mask.dtype == np.float32
    np.testing.assert_array_equal(mask[..., 0], np.where(white, 0.0, 1.0))


def test_read_mask_file_of_another_size_names_the_file(tmp_path):
    path = write_mask(tmp_path / "mask.png", np.ones((6, 10), bool))
    with pytest.raises(ValueError, match=re.escape(f"the mask {path} is 10x6 but the picture is 6x10")):
        read_mask_file(path, (10, 6))


def test_read_mask_file_without_white_is_refused(tmp_path):
    path = write_mask(tmp_path / "black.png", np.zeros((6, 10), bool))
    with pytest.raises(ValueError, match=re.escape(f"{path} marks no pixel to fill (white = fill)")):
        read_mask_file(path, (6, 10))


def test_picture_centre_mask_hides_half_the_height_and_width():
    mask = picture_centre_mask((80, 100))
    assert mask.shape == (80, 100, 1) and mask.dtype == np.float32
    expected = np.ones((80, 100), np.float32)
    expected[20:60, 25:75] = 0
    np.testing.assert_array_equal(mask[..., 0], expected)
    odd = picture_centre_mask((7, 9))[..., 0]  # a 3x4 hole; an odd margin leaves its extra pixel below and right
    expected = np.ones((7, 9), np.float32)
    expected[2:5, 2:6] = 0
    np.testing.assert_array_equal(odd, expected)


def picture(height=30, width=50, seed=0):
    """A non-square uint8 picture: a colour far from mid-grey, with noise."""
    noise = np.random.default_rng(seed).integers(-20, 21, (height, width, 3))
    return np.clip(np.array([200, 40, 90]) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("mask_shape", ["(H, W, 1)", "(H, W)"])
def test_inpaint_full_resolution_keeps_known_pixels_exact_on_a_non_square_picture(mask_shape):
    pixels = picture()
    masks = picture_centre_mask(pixels.shape[:2])
    if mask_shape == "(H, W)":
        masks = masks[..., 0]
    filled = inpaint_full_resolution(MeanColourFill(), pixels, masks, 16, caption="a red square")
    assert filled.shape == pixels.shape and filled.dtype == np.uint8
    known = picture_centre_mask(pixels.shape[:2])[..., 0] == 1
    np.testing.assert_array_equal(filled[known], pixels[known])
    assert (filled[~known] != pixels[~known]).any()
    # The middle of the hole is the model's fill scaled back up: the known pixels' mean colour.
    middle = filled[12:18, 20:30].reshape(-1, 3).astype(int)
    np.testing.assert_allclose(middle, np.broadcast_to(pixels[known].mean(axis=0), middle.shape), atol=3)


def test_inpaint_full_resolution_free_form_hole_and_bad_masks():
    pixels = picture(seed=1)
    masks = np.ones((30, 50, 1), np.float32)
    masks[3:9, 0:12] = 0  # touching the left edge
    masks[20:27, 33:41] = 0
    filled = inpaint_full_resolution(MeanColourFill(), pixels, masks, 16)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], pixels[known])
    unchanged = inpaint_full_resolution(MeanColourFill(), pixels, np.ones((30, 50, 1)), 16)
    np.testing.assert_array_equal(unchanged, pixels)
    assert unchanged is not pixels
    with pytest.raises(ValueError, match="the mask is 30x50 but the image is 50x30"):
        inpaint_full_resolution(MeanColourFill(), pixels, np.ones((50, 30, 1)), 16)
