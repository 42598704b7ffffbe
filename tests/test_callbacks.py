import os

import keras
import numpy as np
import pytest
from PIL import Image

from kinpaint.baselines import MeanColourFill
from kinpaint.callbacks import ImageGrid, render_grid
from kinpaint.data.masks import centre_mask
from kinpaint.inpainting import composite


def batch(count=3, size=16):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32)
    masks = np.repeat(centre_mask(size, size // 2)[None], count, axis=0)
    return images, masks


def test_render_grid_layout_and_content():
    images, masks = batch()
    fills = [np.full_like(images, 1.0)]  # white fills
    picture = render_grid(images, masks, fills, captions=None, scale=2, headers=False)
    tile, pad = 32, 4
    assert picture.shape == (pad + 3 * (tile + pad), pad + 3 * (tile + pad), 3)
    row, col = pad, pad + (tile + pad)  # first row, fill column
    centre = picture[row + 12 : row + 20, col + 12 : col + 20]
    assert (centre == 255).all()
    truth = picture[row : row + tile : 2, 2 * (tile + pad) + pad :][:16, :32:2]
    np.testing.assert_array_equal(truth, np.clip(np.round((images[0] + 1) * 127.5), 0, 255).astype(np.uint8))


def test_captions_make_the_grid_taller():
    images, masks = batch()
    plain = render_grid(images, masks, [images])
    captioned = render_grid(images, masks, [images], captions=[b"a red circle", "a blue square", "x" * 200])
    assert captioned.shape[0] > plain.shape[0] and captioned.shape[1] == plain.shape[1]
    assert (captioned[-20:] < 128).any()  # text is drawn near the bottom


class CountingInpainter(MeanColourFill):
    calls = 0

    def inpaint(self, images, masks, captions=None):
        CountingInpainter.calls += 1
        return super().inpaint(images, masks, captions)


def test_callback_writes_one_png_per_epoch_during_fit(tmp_path):
    images, masks = batch()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    grid = ImageGrid(images, masks, tmp_path / "grids", captions=["a", "b", "c"], samples=2,
                     inpainter=CountingInpainter())
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0, callbacks=[grid])
    names = sorted(os.listdir(tmp_path / "grids"))
    assert names == ["grid_epoch_0001.png", "grid_epoch_0002.png"]
    assert CountingInpainter.calls == 4
    fill = MeanColourFill().inpaint(images, masks)
    expected = render_grid(images, masks, [fill, fill], captions=["a", "b", "c"])
    with Image.open(tmp_path / "grids" / names[0]) as png:
        assert png.mode == "RGB" and png.size[0] == 4 + 4 * (32 + 4)
        np.testing.assert_array_equal(np.asarray(png), expected)


def test_callback_uses_the_models_inpaint(tmp_path):
    class Model(keras.Model):
        def call(self, x):
            return x

        def inpaint(self, images, masks, captions=None):
            return composite(images, masks, -np.ones_like(images))

    images, masks = batch(1)
    grid = ImageGrid(images, masks, tmp_path)
    grid.set_model(Model())
    path = grid.write(0)
    assert os.path.basename(path) == "grid_epoch_0001.png"


def test_callback_refuses_to_overwrite_before_training_the_epoch(tmp_path):
    images, masks = batch(1)
    existing = tmp_path / "grid_epoch_0001.png"
    existing.write_bytes(b"user's file")
    grid = ImageGrid(images, masks, tmp_path, inpainter=MeanColourFill())
    with pytest.raises(FileExistsError, match="grid_epoch_0001.png already exists"):
        grid.on_epoch_begin(0)
    assert existing.read_bytes() == b"user's file"
    ImageGrid(images, masks, tmp_path, inpainter=MeanColourFill(), overwrite=True).write(0)
    assert existing.read_bytes()[:4] == b"\x89PNG"


def test_callback_without_inpainter_says_so(tmp_path):
    images, masks = batch(1)
    grid = ImageGrid(images, masks, tmp_path)
    grid.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    with pytest.raises(TypeError, match="no inpaint"):
        grid.write(0)


def test_atomic_checkpoint_keeps_the_last_good_file_when_a_save_dies(tmp_path, monkeypatch):
    import keras

    from kinpaint.callbacks import AtomicCheckpoint

    path = tmp_path / "model.keras"
    stale = tmp_path / ".model.keras.abc123.tmp.keras"
    stale.write_bytes(b"left by a killed run")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    checkpoint = AtomicCheckpoint(path)
    assert not stale.exists()  # cleaned when the next run starts
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0, callbacks=[checkpoint])
    good = path.read_bytes()
    assert keras.models.load_model(path).count_params() == 3

    def dies_mid_save(target, *args, **kwargs):
        with open(target, "wb") as file:
            file.write(b"half a mod")
        raise KeyboardInterrupt("killed while saving")

    monkeypatch.setattr(model, "save", dies_mid_save)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.on_epoch_end(1)
    assert path.read_bytes() == good
    assert sorted(item.name for item in tmp_path.iterdir()) == ["model.keras"]
