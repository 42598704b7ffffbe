"""PatchTexture and RealisticInpainter: texture copied from the picture, the `photos-realistic` preset."""

import json

import keras
import numpy as np
import pytest

import kinpaint
import kinpaint.pretrained_models as shipped
from kinpaint.layers import PatchTexture
from kinpaint.metrics import detail
from kinpaint.models import FourierInpainter, RealisticInpainter

SMALL_TEXTURE = dict(patch_size=3, coarsest_side=12, em_steps=2, search_steps=2)


def stripes(height, width, period=4):
    """`(1, H, W, 3)` vertical stripes, 2 pixels light and 2 dark, with a little noise."""
    row = np.where(np.arange(width) % period < period // 2, 0.7, -0.7)
    noise = np.random.default_rng(0).normal(0, 0.02, (1, height, width, 3))
    return (row[None, None, :, None] + noise).astype(np.float32)


def hole(height, width, top, left, bottom, right):
    masks = np.ones((1, height, width, 1), np.float32)
    masks[:, top:bottom, left:right] = 0.0
    return masks


def tiny_model(**texture):
    guide = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    return RealisticInpainter(guide, PatchTexture(**{**SMALL_TEXTURE, **texture}))


@pytest.mark.slow  # 6 s here: the search's first trace
def test_the_texture_copies_stripes_that_a_plain_fill_smooths_away():
    images, masks = stripes(24, 26), hole(24, 26, 7, 8, 17, 18)
    plain = np.where(masks >= 0.5, images, 0.0)  # the stripes' mean colour in the hole
    textured = np.asarray(PatchTexture(**SMALL_TEXTURE)([images, masks, plain]))
    assert float(detail(images, plain, masks)[0]) < 0.5
    assert 0.7 < float(detail(images, textured, masks)[0]) < 1.3
    assert np.array_equal(textured[masks[..., 0] >= 0.5], images[masks[..., 0] >= 0.5])


@pytest.mark.slow
def test_the_seed_draws_another_texture_and_the_same_seed_the_same():
    images = np.random.default_rng(3).uniform(-1, 1, (1, 20, 20, 3)).astype(np.float32)
    masks, guide = hole(20, 20, 6, 6, 14, 14), np.zeros((1, 20, 20, 3), np.float32)
    first, again = (np.asarray(PatchTexture(**SMALL_TEXTURE, seed=1)([images, masks, guide])) for _ in range(2))
    other = np.asarray(PatchTexture(**SMALL_TEXTURE, seed=2)([images, masks, guide]))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_layer_round_trips_its_config_and_refuses_bad_settings():
    layer = PatchTexture(patch_size=5, guide_weight=0.5, detail_sigma=2.0, seed=7)
    assert PatchTexture.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="patch_size must be an odd"):
        PatchTexture(patch_size=4)
    with pytest.raises(ValueError, match="guide_weight"):
        PatchTexture(guide_weight=-1)


@pytest.mark.slow
def test_thin_settings_change_thin_holes_only():
    images = stripes(24, 26)
    guide = np.zeros_like(images)
    thin, deep = hole(24, 26, 4, 2, 20, 4), hole(24, 26, 5, 6, 19, 20)  # 2 pixels wide: no coarser scale; 14
    layer = PatchTexture(**SMALL_TEXTURE, thin_detail_strength=0.0, thin_guide_weight=5.0)
    plain = PatchTexture(**SMALL_TEXTURE)
    assert np.array_equal(layer([images, thin, guide]), np.where(thin >= 0.5, images, guide))  # strength 0: the guide
    assert np.array_equal(layer([images, deep, guide]), plain([images, deep, guide]))
    assert not np.array_equal(plain([images, thin, guide]), np.where(thin >= 0.5, images, guide))
    assert PatchTexture.from_config(layer.get_config()).get_config() == layer.get_config()
    assert (plain.thin_guide_weight, plain.thin_detail_strength) == (plain.guide_weight, plain.detail_strength)
    with pytest.raises(ValueError, match="thin_detail_strength"):
        PatchTexture(thin_detail_strength=float("nan"))


def test_a_picture_without_a_hole_or_without_a_source_comes_back_whole():
    images = stripes(10, 9)
    kept = np.asarray(PatchTexture(**SMALL_TEXTURE)([images, np.ones((1, 10, 9, 1)), np.zeros_like(images)]))
    assert np.array_equal(kept, images)
    guide = np.full_like(images, 0.25)
    all_hole = np.asarray(PatchTexture(**SMALL_TEXTURE)([images, np.zeros((1, 10, 9, 1)), guide]))
    assert np.allclose(all_hole, 0.25)  # nothing to copy from: the guide stays


@pytest.mark.slow
def test_the_model_keeps_known_pixels_at_odd_sizes_and_round_trips_config_and_keras_file(tmp_path):
    model = tiny_model()
    images = np.random.default_rng(1).uniform(-1, 1, (2, 21, 19, 3)).astype(np.float32)
    masks = np.concatenate([hole(21, 19, 5, 4, 15, 13), hole(21, 19, 0, 0, 6, 19)])
    filled = model.inpaint(images, masks)
    assert filled.shape == images.shape and np.isfinite(filled).all()
    assert np.array_equal(filled[masks[..., 0] >= 0.5], images[masks[..., 0] >= 0.5])
    assert np.array_equal(RealisticInpainter.from_config(model.get_config()).inpaint(images, masks), filled)
    model.save(tmp_path / "realistic.keras")
    loaded = keras.models.load_model(tmp_path / "realistic.keras")
    assert isinstance(loaded, RealisticInpainter) and loaded.texture.get_config() == model.texture.get_config()
    assert np.array_equal(loaded.inpaint(images, masks), filled)
    with pytest.raises(ValueError, match="does not train"):
        model.fit(images)


@pytest.mark.slow
def test_the_preset_loads_offline_by_name_without_a_second_copy_of_the_weights():
    assert "photos-realistic" in kinpaint.pretrained()
    model = shipped.resolve_model("photos-realistic")
    assert isinstance(model, RealisticInpainter) and isinstance(model.fill_model, FourierInpainter)
    assert model.get_config()["fill_model"] == "photos"  # the name, not the weights
    preset_file = shipped.WEIGHTS_FOLDER / shipped.PRETRAINED["photos-realistic"][0]
    assert json.loads(preset_file.read_text())["config"]["fill_model"] == "photos"
    images, masks = stripes(37, 29), hole(37, 29, 10, 7, 27, 22)
    filled = model.inpaint(images, masks)
    assert np.array_equal(filled[masks[..., 0] >= 0.5], images[masks[..., 0] >= 0.5])
    plain = model.fill_model.inpaint(images, masks)  # the "photos" preset, as asserted above
    assert float(detail(images, filled, masks)[0]) > float(detail(images, plain, masks)[0])
    assert RealisticInpainter.from_preset("photos-realistic").texture.get_config() == model.texture.get_config()
