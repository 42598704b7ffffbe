"""benchmarks/experiments/detail_transfer.py: the copy of known detail its figures in docs/pretrained.md rest on."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kinpaint.data.masks import centre_mask


@pytest.fixture(scope="module")
def bench():
    path = Path(__file__).parent.parent / "benchmarks" / "experiments" / "detail_transfer.py"
    spec = importlib.util.spec_from_file_location("detail_transfer_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def textured_picture(size=96, seed=0):
    """`(1, S, S, 3)`: a mid-grey with strong pixel noise everywhere; masks hide the centre."""
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, (1, size, size, 1)).astype(np.float32)
    return np.repeat(noise, 3, axis=-1)


def test_copies_detail_into_a_smooth_hole_and_keeps_known_pixels(bench):
    picture = textured_picture()
    masks = centre_mask(96, 32)[None]
    smooth = np.where(masks >= 0.5, picture, 0.0).astype(np.float32)  # a flat fill, no detail
    out = bench.transfer_detail(smooth, masks, strength=1.0, block=8, band=1.0)
    hole = masks[0, ..., 0] < 0.5
    np.testing.assert_array_equal(out[0][~hole], picture[0][~hole])
    source_detail = (picture - bench.gaussian_blur(picture, 1.0))[0][~hole].std()
    copied = out[0][hole].std()
    assert 0.5 * source_detail < copied < 1.5 * source_detail  # detail as strong as the known pixels'


def test_strength_scales_the_copied_detail(bench):
    picture = textured_picture(seed=1)
    masks = centre_mask(96, 32)[None]
    smooth = np.where(masks >= 0.5, picture, 0.0).astype(np.float32)
    hole = masks[0, ..., 0] < 0.5
    full = bench.transfer_detail(smooth, masks, 1.0, block=8, band=1.0)[0][hole]
    half = bench.transfer_detail(smooth, masks, 0.5, block=8, band=1.0)[0][hole]
    np.testing.assert_allclose(half, full / 2, atol=1e-5)


def test_nothing_to_copy_from_leaves_the_fill(bench):
    picture = textured_picture(size=32)
    masks = centre_mask(32, 24)[None]  # no known window of 2 blocks plus the blur's margin
    smooth = np.where(masks >= 0.5, picture, 0.0).astype(np.float32)
    np.testing.assert_array_equal(bench.transfer_detail(smooth, masks, 1.0, block=8, band=1.0), smooth)


def test_refuses_nonsense_settings(bench):
    with pytest.raises(SystemExit, match="strengths"):
        bench.main(["store.h5", "--strengths", "0", "--out", "unused"])


def test_copies_nothing_when_the_known_pixels_are_flat(bench):
    """Sources lie clear of the hole and of the blur's reach into it, so a textured fill next
    to flat known pixels gets no detail back from its own hole."""
    masks = centre_mask(96, 32)[None]
    textured = textured_picture(seed=2)
    filled = np.where(masks >= 0.5, 0.2, textured).astype(np.float32)
    np.testing.assert_allclose(bench.transfer_detail(filled, masks, 1.0, block=8, band=1.0), filled, atol=1e-6)


def test_refuses_blocks_too_large_for_the_picture(bench):
    masks = centre_mask(32, 16)[None]
    with pytest.raises(ValueError, match="too small for blocks of 16"):
        bench.transfer_detail(np.zeros((1, 32, 32, 3), np.float32), masks, 1.0, block=16)
