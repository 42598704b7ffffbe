"""FourierInpainter: the harmonic fill corrected by Fourier and gated convolutions, at any size."""

import keras
import numpy as np
import pytest

from kinpaint.data.masks import make_masks
from kinpaint.models import FourierInpainter
from kinpaint.poisson import harmonic_fill


def batch(count=8, size=16, seed=0, kind="mixed"):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-0.8, 0.8, size, dtype=np.float32)
    images = (ramp[None, :, None, None] * rng.uniform(0.5, 1, (count, 1, 1, 3))).astype(np.float32)
    images = np.broadcast_to(images, (count, size, size, 3)).copy()
    images += rng.normal(0, 0.05, images.shape).astype(np.float32)
    return images, make_masks(kind, count, size, size // 2, seed)


def tiny(**options):
    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32", **options)
    model.compile(keras.optimizers.Adam(3e-3))
    return model


def test_it_starts_as_the_harmonic_fill_and_learns_a_correction():
    images, masks = batch()
    model = tiny()
    np.testing.assert_allclose(model.inpaint(images, masks), np.asarray(harmonic_fill(images, masks)), atol=1e-5)
    history = model.fit({"image": images, "mask": masks}, batch_size=4, epochs=15, verbose=0).history
    assert history["reconstruction_loss"][-1] < history["reconstruction_loss"][0]
    assert not np.allclose(model.inpaint(images, masks), np.asarray(harmonic_fill(images, masks)), atol=1e-4)


@pytest.mark.parametrize("shape", [(16, 16), (64, 48), (37, 21)])
def test_pictures_of_any_size_keep_their_known_pixels(shape):
    model = tiny()
    model.fit(batch()[0], batch_size=4, epochs=1, verbose=0)
    images = np.random.default_rng(1).uniform(-1, 1, (2, *shape, 3)).astype(np.float32)
    masks = np.ones((2, *shape, 1), np.float32)
    masks[:, shape[0] // 4 : shape[0] // 2, shape[1] // 3 :] = 0
    filled = model.inpaint(images, masks)
    assert filled.shape == images.shape
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], images[known])


def test_keras_file_round_trip_and_resume(tmp_path):
    import kinpaint  # noqa: F401

    images, masks = batch()
    model = tiny(mask_kind="strokes", downsamples=1)
    model.fit({"image": images, "mask": masks}, batch_size=4, epochs=2, verbose=0)
    model.save(tmp_path / "fourier.keras")
    loaded = keras.models.load_model(tmp_path / "fourier.keras")
    assert (loaded.mask_kind, loaded.downsamples, loaded.width) == ("strokes", 1, 4)
    np.testing.assert_allclose(loaded.inpaint(images, masks), model.inpaint(images, masks), atol=1e-6)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4
    model.fit({"image": images, "mask": masks}, batch_size=4, epochs=1, verbose=0, shuffle=False)
    loaded.fit({"image": images, "mask": masks}, batch_size=4, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(loaded.inpaint(images, masks), model.inpaint(images, masks), atol=1e-5)


def test_mixed_precision_builds_and_fills_in_float32():
    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="mixed_bfloat16")
    model.compile()
    images, masks = batch(4)
    model.fit({"image": images, "mask": masks}, batch_size=2, epochs=1, verbose=0)
    filled = model.inpaint(images, masks)
    assert filled.dtype == np.float32 and np.isfinite(filled).all()


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="not divisible by 2\\^2"):
        FourierInpainter(image_size=18)
    with pytest.raises(ValueError, match="reconstruction must be one of"):
        tiny().compile(reconstruction="l3")
    with pytest.raises(ValueError, match="takes images \\(batch, H, W, 3\\)"):
        tiny().inpaint(np.zeros((1, 8, 8, 1)), np.ones((1, 8, 8, 1)))


def test_kinpaint_inpaint_fills_a_big_picture_at_its_own_resolution(tmp_path):
    from PIL import Image

    from kinpaint.pictures import inpaint_file

    model = tiny()
    model.save(tmp_path / "fourier.keras")
    ramp = np.linspace(0, 255, 200, dtype=np.float32)
    picture = np.stack([np.broadcast_to(ramp[None, :], (120, 200))] * 3, axis=-1).astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "big.png")
    filled = inpaint_file(str(tmp_path / "fourier.keras"), str(tmp_path / "big.png"), str(tmp_path / "out.png"),
                          log=lambda message: None)
    hole = (slice(30, 90), slice(50, 150))  # the centre of half the height and width
    assert filled.shape == picture.shape
    # untrained, it is the harmonic fill at full resolution: a horizontal ramp stays a ramp,
    # which a 16-pixel fill scaled up 12 times would not reproduce this closely
    assert np.abs(filled[hole].astype(int) - picture[hole].astype(int)).max() <= 2
    outside = np.ones(picture.shape[:2], bool)
    outside[hole] = False
    np.testing.assert_array_equal(filled[outside], picture[outside])
