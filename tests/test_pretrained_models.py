"""kinpaint.pretrained: models that ship inside the package, loaded offline."""

import shutil

import keras
import numpy as np
import pytest

import kinpaint
import kinpaint.pretrained_models as shipped
from kinpaint.models import FourierInpainter


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A tiny FourierInpainter trained once for this file, and its `.keras` file (only read)."""
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32)
    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    model.compile(keras.optimizers.Adam(1e-2))
    model.fit(images, batch_size=2, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("run") / "run.keras"
    model.save(path)
    return model, path


@pytest.fixture()
def tiny_shipped(tiny_run, tmp_path, monkeypatch):
    """The tiny trained model, its file copied to `tmp_path/run.keras` and shipped as the
    pretrained `photos` into a temporary folder."""
    model, path = tiny_run
    shutil.copyfile(path, tmp_path / "run.keras")
    monkeypatch.setattr(shipped, "WEIGHTS_FOLDER", tmp_path / "weights")
    shipped.ship(tmp_path / "run.keras", "photos")
    return model


def test_nothing_listed_until_it_ships_and_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "WEIGHTS_FOLDER", tmp_path)
    assert kinpaint.pretrained() == {}
    with pytest.raises(FileNotFoundError, match="'photos' is not in this installation"):
        kinpaint.pretrained("photos")
    with pytest.raises(ValueError, match="no pretrained model 'faces'"):
        kinpaint.pretrained("faces")


@pytest.mark.slow
def test_a_shipped_model_fills_like_the_trained_one_without_its_optimizer(tiny_shipped):
    assert list(kinpaint.pretrained()) == ["photos"]
    loaded = kinpaint.pretrained("photos")
    assert not loaded.compiled  # shipped without optimizer state
    images = np.random.default_rng(1).uniform(-1, 1, (2, 40, 24, 3)).astype(np.float32)
    masks = np.ones((2, 40, 24, 1), np.float32)
    masks[:, 10:30, 5:20] = 0
    filled = loaded.inpaint(images, masks)
    np.testing.assert_allclose(filled, tiny_shipped.inpaint(images, masks), atol=1e-6)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], images[known])


@pytest.mark.slow
def test_shipping_never_replaces_weights_unless_forced(tiny_shipped, tmp_path):
    with pytest.raises(FileExistsError):
        shipped.ship(tmp_path / "run.keras", "photos")
    shipped.ship(tmp_path / "run.keras", "photos", force=True)


@pytest.mark.slow
def test_shipping_sets_inference_settings_and_refuses_unknown_ones(tiny_shipped, tmp_path):
    shipped.ship(tmp_path / "run.keras", "photos", force=True, coarse_side=8)
    assert kinpaint.pretrained("photos").coarse_side == 8
    with pytest.raises(ValueError, match="FourierInpainter has no setting coarseness"):
        shipped.ship(tmp_path / "run.keras", "photos", force=True, coarseness=8)


@pytest.mark.slow
def test_resolve_model_takes_paths_names_models_and_none(tiny_shipped, tmp_path):
    assert isinstance(shipped.resolve_model(None), FourierInpainter)
    assert isinstance(shipped.resolve_model("photos"), FourierInpainter)
    assert isinstance(shipped.resolve_model(tmp_path / "run.keras"), FourierInpainter)
    assert shipped.resolve_model(tiny_shipped) is tiny_shipped


@pytest.mark.slow
def test_one_spelling_of_a_preset_and_the_older_one_read_too(tiny_shipped, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(shipped.resolve_model("pretrained:photos"), FourierInpainter)
    (tmp_path / "photos").mkdir()  # a folder of pictures named like the preset does not hide it
    assert shipped.preset_name("photos") == "photos"
    assert isinstance(shipped.resolve_model("photos"), FourierInpainter)
    assert shipped.preset_name("runs/photos.keras") is None
    assert shipped.model_label("photos") == shipped.model_label("pretrained:photos") == "pretrained_photos"
    assert shipped.model_label("runs/fourier/fourier_inpainter.keras") == "fourier_inpainter"
    assert shipped.names_model("photos") and shipped.names_model("x.keras") and not shipped.names_model("telea")


def test_a_side_follows_a_model_after_an_at_sign():
    assert shipped.split_side("photos@64") == ("photos", 64)
    assert shipped.split_side("pretrained:photos@64") == ("pretrained:photos", 64)
    assert shipped.split_side("runs/a.keras") == ("runs/a.keras", None)
    for spec in ("photos@", "photos@big", "photos@4"):
        with pytest.raises(ValueError, match="the side after '@' must be a whole number of pixels, at least 8"):
            shipped.split_side(spec)


def test_an_unknown_preset_is_refused_with_the_presets_that_ship(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ships = r"\(photos, photos-realistic\)"
    with pytest.raises(ValueError, match=rf"unknown model 'faces': not a preset kinpaint ships {ships}"):
        shipped.resolve_model("faces")
    with pytest.raises(ValueError, match="no pretrained model 'faces'; kinpaint ships \\['photos', 'photos-realistic'\\]"):
        shipped.resolve_model("pretrained:faces")
    with pytest.raises(ValueError, match="a side after '@' is for `kinpaint evaluate`"):
        shipped.resolve_model("photos@64")
    with pytest.raises(FileNotFoundError, match="model file not found"):
        shipped.resolve_model("runs/faces.keras")


def test_no_preset_is_named_like_a_classical_fill():
    from kinpaint.baselines import BASELINES

    assert not set(shipped.PRETRAINED) & set(BASELINES)  # `kinpaint evaluate --methods photos` is the preset


@pytest.fixture(scope="module")
def real_photos():
    """The shipped "photos" model, loaded once for the sizes below (they only read it)."""
    return kinpaint.pretrained("photos")


@pytest.mark.slow
@pytest.mark.skipif(not (shipped.WEIGHTS_FOLDER / "photos.keras").exists(), reason="photos.keras is not shipped")
@pytest.mark.parametrize("shape", [(64, 64), (256, 256), (97, 150)])
def test_the_real_photos_model_loads_offline_and_keeps_known_pixels(real_photos, shape):
    model = real_photos
    images = np.random.default_rng(2).uniform(-1, 1, (1, *shape, 3)).astype(np.float32)
    masks = np.ones((1, *shape, 1), np.float32)
    masks[:, shape[0] // 4 : 3 * shape[0] // 4, shape[1] // 4 : 3 * shape[1] // 4] = 0
    filled = model.inpaint(images, masks)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], images[known])
    assert np.isfinite(filled).all() and np.abs(filled).max() <= 1
