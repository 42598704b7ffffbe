import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.callbacks import ImageGrid
from kinpaint.layers import CharCNNGRU
from kinpaint.models import GatedPixelInpainter, hole_nll
from kinpaint.models.losses import TrainingDiverged
from layer_checks import check_resumes_like_the_original, fit_save_and_reload

SIZE = 8
CAPTIONS = ["a red square", "a blue disc", "a red disc", "a blue square"]


def batch(seed=0):
    rng = np.random.default_rng(seed)
    # Values on the 8-bit grid, so every level is exactly representable.
    images = (rng.integers(0, 256, (4, SIZE, SIZE, 3)) / 127.5 - 1).astype(np.float32)
    masks = np.ones((4, SIZE, SIZE, 1), np.float32)
    masks[:, 2:6, 2:6] = 0
    return {"image": images, "mask": masks, "caption": tf.constant(CAPTIONS)}


def tiny_model(**kwargs):
    kwargs.setdefault("caption_encoder", CharCNNGRU(length=16, output_dim=6, gru_units=4))
    model = GatedPixelInpainter(image_size=SIZE, features=8, bottleneck=4, blocks=2, head=8,
                                precision="float32", **kwargs)
    model.compile(keras.optimizers.Adam(3e-3))
    return model


@pytest.fixture(scope="module")
def untrained_model():
    """One `tiny_model()`, as each test would build it, for the tests that only call it, evaluate it and fill."""
    keras.utils.set_random_seed(0)
    return tiny_model()


@pytest.mark.slow
def test_logits_shape_and_metrics(untrained_model):
    model = untrained_model
    assert model(batch()).shape == (4, SIZE, SIZE, 3, 256)
    logs = model.evaluate(tf.data.Dataset.from_tensors(batch()), verbose=0, return_dict=True)
    assert set(logs) == {"nll", "bits_per_dim"}
    # 16 hole pixels x 3 values.
    assert logs["bits_per_dim"] == pytest.approx(logs["nll"] / (48 * math.log(2)), rel=1e-5)


def test_nll_equals_a_hand_computation():
    logits = np.random.default_rng(1).normal(size=(1, 2, 2, 3, 256)).astype(np.float32)
    images = (np.array([[[[0, 255, 128], [3, 4, 5]], [[10, 20, 30], [200, 100, 50]]]]) / 127.5 - 1).astype(np.float32)
    masks = np.array([[[[1], [0]], [[0], [1]]]], np.float32)  # two hidden pixels
    expected = 0.0
    for row, col in ((0, 1), (1, 0)):
        for channel in range(3):
            values = logits[0, row, col, channel]
            level = int(round((images[0, row, col, channel] + 1) * 127.5))
            expected -= values[level] - np.log(np.sum(np.exp(values - values.max()))) - values.max()
    assert float(hole_nll(logits, images, masks)[0]) == pytest.approx(expected, rel=1e-5)


@pytest.mark.slow
def test_training_lowers_the_nll_and_nan_stops_it_with_a_clear_error():
    """One model, so one trace of the training step: fit lowers the NLL; NaN weights then stop fit."""
    model = tiny_model()
    data = tf.data.Dataset.from_tensors(batch()).repeat(30)
    before = model.evaluate(tf.data.Dataset.from_tensors(batch()), verbose=0, return_dict=True)["nll"]
    model.fit(data, verbose=0)
    after = model.evaluate(tf.data.Dataset.from_tensors(batch()), verbose=0, return_dict=True)["nll"]
    assert after < before - 10
    model.network.get_layer("logits").kernel.assign(np.full(model.network.get_layer("logits").kernel.shape, np.nan))
    with pytest.raises(TrainingDiverged, match="negative log-likelihood is NaN"):
        model.fit(tf.data.Dataset.from_tensors(batch()), verbose=0)


@pytest.mark.parametrize("fill", ["mean", "mode", "sample"])
@pytest.mark.slow
def test_fills_keep_known_pixels_and_lie_on_the_grid(untrained_model, fill):
    data = batch()
    filled = untrained_model.inpaint(data["image"], data["mask"], CAPTIONS, fill=fill)
    known = data["mask"][..., 0] == 1
    np.testing.assert_array_equal(filled[known], data["image"][known])
    assert filled.min() >= -1 and filled.max() <= 1
    if fill != "mean":
        levels = (filled + 1) * 127.5
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)


@pytest.mark.slow
def test_sampling_near_zero_temperature_is_the_mode_and_seeds_repeat(untrained_model):
    model = untrained_model
    data = batch()
    mode = model.inpaint(data["image"], data["mask"], CAPTIONS, fill="mode")
    cold = model.inpaint(data["image"], data["mask"], CAPTIONS, fill="sample", temperature=1e-6, seed=3)
    # Float32 Gumbel noise lies in about [-3.3, 16.6], so at temperature T it moves a level
    # by at most about 2e-5 here: every value whose two best levels differ by more than
    # 1e-4 must sample its mode. An untrained network also has near-ties, where any of the
    # tied levels is a correct draw; they are most of what this leaves out.
    logits = np.sort(np.asarray(model(data)), axis=-1)
    unique_mode = (logits[..., -1] - logits[..., -2] > 1e-4) & (data["mask"] == 0)
    assert unique_mode.sum() > 0.5 * 3 * (data["mask"] == 0).sum()  # the check below is not vacuous
    np.testing.assert_array_equal(cold[unique_mode], mode[unique_mode])
    first = model.inpaint(data["image"], data["mask"], CAPTIONS, fill="sample", seed=5)
    again = model.inpaint(data["image"], data["mask"], CAPTIONS, fill="sample", seed=5)
    other = model.inpaint(data["image"], data["mask"], CAPTIONS, fill="sample", seed=6)
    np.testing.assert_array_equal(first, again)
    assert np.any(first != other)
    with pytest.raises(ValueError, match="temperature"):
        model.inpaint(data["image"], data["mask"], fill="sample", temperature=0)
    with pytest.raises(ValueError, match="fill must be one of"):
        model.inpaint(data["image"], data["mask"], fill="median")


@pytest.mark.slow
def test_captions_change_the_prediction_and_every_option_builds(untrained_model):
    model = untrained_model
    data = batch()
    same = dict(data, caption=tf.constant(["a red square"] * 4))
    other = dict(data, caption=tf.constant(["a blue disc"] * 4))
    assert not np.allclose(model(same), model(other))
    for blocks, caption_map in ((True, False), (False, True)):
        variant = tiny_model(caption_blocks=blocks, caption_map=caption_map)
        assert variant(data).shape == (4, SIZE, SIZE, 3, 256)
    unconditioned = tiny_model(caption_encoder=None)
    assert not unconditioned.conditioned
    assert unconditioned.inpaint(data["image"], data["mask"], CAPTIONS).shape == data["image"].shape
    vectors = tiny_model(caption_encoder=None, caption_dim=5)
    assert vectors({**data, "caption": np.ones((4, 5), np.float32)}).shape == (4, SIZE, SIZE, 3, 256)


@pytest.mark.slow
def test_keras_file_round_trip_and_resume(tmp_path):
    model = tiny_model()
    data = tf.data.Dataset.from_tensors(batch()).repeat(3)
    reloaded = fit_save_and_reload(model, data, str(tmp_path / "pixel.keras"))
    np.testing.assert_allclose(reloaded(batch()), model(batch()), atol=1e-5)
    assert int(reloaded.optimizer.iterations) == 3
    check_resumes_like_the_original(model, reloaded, data.take(1))


@pytest.mark.slow
def test_image_grid_shows_several_samples(untrained_model, tmp_path):
    model = untrained_model
    data = batch()
    grid = ImageGrid(data["image"], data["mask"], tmp_path, captions=CAPTIONS, samples=3,
                     inpainter=model.sampler(temperature=0.8))
    grid.set_model(model)
    path = grid.write(0)
    from PIL import Image

    width = Image.open(path).size[0]
    single = ImageGrid(data["image"], data["mask"], tmp_path, captions=CAPTIONS, prefix="one")
    single.set_model(model)
    assert width > Image.open(single.write(0)).size[0]  # 3 fill columns instead of 1



def test_nll_reads_the_true_hole_values_and_fills_do_not():
    from kinpaint.models import GatedPixelInpainter

    model = GatedPixelInpainter(image_size=8, features=8, bottleneck=4, blocks=1, head=8, precision="float32")
    images = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
    masks = np.ones((2, 8, 8, 1), np.float32)
    masks[:, 2:6, 2:6] = 0
    other = images.copy()
    other[:, 2:6, 2:6] = -images[:, 2:6, 2:6]
    assert not np.allclose(model.nll(images, masks), model.nll(other, masks))  # the likelihood of the hole's truth
    np.testing.assert_array_equal(model.inpaint(images, masks, fill="mode"), model.inpaint(other, masks, fill="mode")
                                  * (masks == 0) + images * (masks == 1))
