"""Semantic inpainting: searching a DCGAN's latent space for a fill (`kinpaint.models.semantic`)."""

import numpy as np
import pytest

from kinpaint.models import SemanticInpainter, contextual_weights
from test_dcgan import CAPTIONS, SIZE, batch, tiny_gan


def centre_masks(count=8):
    masks = np.ones((count, SIZE, SIZE, 1), np.float32)
    masks[:, 4:12, 4:12] = 0
    return masks


def free_form_masks(count=8, seed=0):
    rng = np.random.default_rng(seed)
    masks = np.ones((count, SIZE, SIZE, 1), np.float32)
    for mask in masks:
        for _ in range(3):
            row, col = rng.integers(0, SIZE - 3, 2)
            mask[row : row + rng.integers(2, 6), col : col + 3] = 0
    return masks


@pytest.mark.parametrize("masks", [centre_masks(), free_form_masks()], ids=["rectangle", "free-form"])
@pytest.mark.parametrize("blend", [True, False])
@pytest.mark.slow
def test_semantic_inpainting_keeps_known_pixels(masks, blend):
    gan = tiny_gan()
    inpainter = gan.semantic_inpainter(restarts=2, steps=5, blend=blend)
    filled = inpainter.inpaint(batch()["image"], masks, CAPTIONS)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], batch()["image"][known])
    assert not np.allclose(filled[~known], batch()["image"][~known])


@pytest.mark.slow
def test_search_lowers_the_loss_and_keeps_the_best_restart():
    gan = tiny_gan()
    images, masks = batch()["image"], centre_masks()
    start = gan.semantic_inpainter(restarts=3, steps=0).search(images, masks, CAPTIONS)
    searched = gan.semantic_inpainter(restarts=3, steps=30, tolerance=0)
    filled, found = searched.inpaint(images, masks, CAPTIONS, return_all=True)
    assert found["steps"] == 30 and found["generated"].shape == (8, 3, SIZE, SIZE, 3)
    assert np.all(found["total"] < start["total"])
    np.testing.assert_array_equal(found["best"], np.argmin(found["total"], axis=1))
    unblended = gan.semantic_inpainter(restarts=3, steps=30, tolerance=0, blend=False).inpaint(images, masks, CAPTIONS)
    best = found["generated"][np.arange(8), found["best"]]
    hole = masks[..., 0] == 0
    np.testing.assert_allclose(unblended[hole], best[hole], atol=1e-5)


@pytest.mark.slow
def test_batched_search_equals_one_image_and_restart_at_a_time():
    gan = tiny_gan()
    images, masks = batch()["image"][:3], centre_masks(3)
    inpainter = gan.semantic_inpainter(restarts=2, steps=10, tolerance=0)
    codes = inpainter.initial_codes(3).reshape(3, 2, 8)
    batched = inpainter.search(images, masks, CAPTIONS[:3], codes)
    single = gan.semantic_inpainter(restarts=1, steps=10, tolerance=0)
    for image in range(3):
        for restart in range(2):
            alone = single.search(images[image : image + 1], masks[image : image + 1], CAPTIONS[image : image + 1],
                                  codes[image, restart][None, None])
            np.testing.assert_allclose(alone["total"][0, 0], batched["total"][image, restart], rtol=1e-4)
            np.testing.assert_allclose(alone["z"][0, 0], batched["z"][image, restart], atol=1e-4)


@pytest.mark.slow
def test_tolerance_stops_the_search():
    gan = tiny_gan()
    inpainter = gan.semantic_inpainter(restarts=2, steps=50, tolerance=1e9)
    codes = inpainter.initial_codes(8)
    found = inpainter.search(batch()["image"], centre_masks(), CAPTIONS)
    assert found["steps"] == 1  # every gradient is under the tolerance at the first step: nothing moves
    np.testing.assert_array_equal(found["z"].reshape(-1, 8), codes)


def test_contextual_weights_favour_pixels_near_the_hole():
    weights = np.asarray(contextual_weights(centre_masks(1)))[0, ..., 0]
    assert np.all(weights[4:12, 4:12] == 0)
    assert weights[3, 8] > weights[1, 8] > 0 and weights[0, 0] == 0
    np.testing.assert_array_equal(contextual_weights(centre_masks(1), weighted=False), centre_masks(1))


def test_semantic_inpainter_errors():
    gan = tiny_gan()
    with pytest.raises(ValueError, match="contextual must be one of"):
        SemanticInpainter(gan.generator, gan.discriminator, contextual="l3")
    with pytest.raises(ValueError, match="takes images"):
        gan.semantic_inpainter().inpaint(np.zeros((2, 8, 8, 3)), np.ones((2, 8, 8, 1)))
