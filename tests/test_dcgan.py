import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.callbacks import ImageGrid
from kinpaint.layers import MeanWordEmbedding
from kinpaint.models import DCGAN
from layer_checks import check_resumes_like_the_original, fit_save_and_reload

SIZE = 16
CAPTIONS = ["a red square", "a blue disc", "a red disc", "a blue square"] * 2


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return {"image": rng.uniform(-1, 1, (8, SIZE, SIZE, 3)).astype(np.float32), "caption": tf.constant(CAPTIONS)}


def tiny_gan(**kwargs):
    kwargs.setdefault("caption_encoder", MeanWordEmbedding(["a", "red", "blue", "square", "disc"], output_dim=4))
    schedule = {key: kwargs.pop(key) for key in ("d_steps", "g_steps") if key in kwargs}
    gan = DCGAN(image_size=SIZE, noise_dim=8, generator_widths=(16, 8), discriminator_widths=(8, 16),
                caption_units=4, precision="float32", **kwargs)
    gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5), **schedule)
    return gan


def test_output_shapes_and_conditioning_options():
    gan = tiny_gan()
    noise = np.ones((3, 8), np.float32)
    assert gan({"noise": noise, "caption": tf.constant(CAPTIONS[:3])}).shape == (3, SIZE, SIZE, 3)
    assert len(gan.discriminator.inputs) == 2 and len(gan.generator.inputs) == 2
    generator_only = tiny_gan(condition="generator")
    assert len(generator_only.discriminator.inputs) == 1 and len(generator_only.generator.inputs) == 2
    plain = tiny_gan(condition="none")
    assert not plain.conditioned and len(plain.generator.inputs) == 1
    with pytest.raises(ValueError, match="condition must be one of"):
        tiny_gan(condition="discriminator")
    with pytest.raises(ValueError, match="d_steps and g_steps"):
        tiny_gan(d_steps=0)


@pytest.mark.parametrize("condition", ["both", "generator", "none"])
@pytest.mark.slow
def test_train_steps_move_both_networks(condition):
    gan = tiny_gan(condition=condition)
    generator = [w.numpy().copy() for w in gan.generator.trainable_weights]
    discriminator = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    history = gan.fit(tf.data.Dataset.from_tensors(batch()).repeat(3), verbose=0).history
    assert all(np.isfinite(history[name][-1]) for name in ("d_loss", "g_loss", "real_score", "fake_score"))
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(generator, gan.generator.trainable_weights))
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(discriminator, gan.discriminator.trainable_weights))


@pytest.mark.slow
@pytest.mark.parametrize("d_steps, g_steps, expected", [(1, 1, (10, 10)), (3, 2, (6, 4)), (2, 3, (4, 6))])
def test_schedule_runs_the_configured_number_of_steps(d_steps, g_steps, expected):
    gan = tiny_gan(d_steps=d_steps, g_steps=g_steps)
    generator = [w.numpy().copy() for w in gan.generator.trainable_weights]
    gan.fit(tf.data.Dataset.from_tensors(batch()).repeat(10), verbose=0)
    assert (int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)) == expected
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(generator, gan.generator.trainable_weights))


@pytest.mark.slow
def test_keras_file_round_trip_and_resume(tmp_path):
    gan = tiny_gan(d_steps=2, g_steps=1)
    data = tf.data.Dataset.from_tensors(batch()).repeat(3)
    reloaded = fit_save_and_reload(gan, data, str(tmp_path / "gan.keras"))
    inputs = {"noise": np.ones((2, 8), np.float32), "caption": tf.constant(CAPTIONS[:2])}
    np.testing.assert_allclose(reloaded(inputs), gan(inputs), atol=1e-6)
    assert (reloaded.d_steps, reloaded.g_steps) == (2, 1)
    check_resumes_like_the_original(gan, reloaded, data.take(2))


def test_image_grid_shows_samples_from_fixed_noise(tmp_path):
    gan = tiny_gan()
    data = batch()
    noise = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    grid = ImageGrid(data["image"], np.zeros((8, SIZE, SIZE, 1), np.float32), tmp_path, captions=CAPTIONS,
                     inpainter=gan.samples(noise))
    grid.set_model(gan)
    assert grid.write(0).endswith("grid_epoch_0001.png")
    first = gan.samples(noise).inpaint(data["image"], None, CAPTIONS)
    np.testing.assert_allclose(first, gan.samples(noise).inpaint(data["image"], None, CAPTIONS))
