import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.layers import MeanWordEmbedding
from kinpaint.models import ContextEncoder
from kinpaint.models.losses import TrainingDiverged
from layer_checks import check_resumes_like_the_original, fit_save_and_reload

SIZE = 16
CAPTIONS = ["a red square", "a blue disc", "a red disc", "a blue square"] * 2


def batch(seed=0, captions=True):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (8, SIZE, SIZE, 3)).astype(np.float32)
    masks = np.ones((8, SIZE, SIZE, 1), np.float32)
    masks[:, 4:12, 4:12] = 0
    data = {"image": images, "mask": masks}
    if captions:
        data["caption"] = tf.constant(CAPTIONS)
    return data


def as_json(config):
    return json.loads(json.dumps(config))


def tiny_model(**kwargs):
    kwargs.setdefault("caption_encoder", MeanWordEmbedding(["a", "red", "blue", "square", "disc"], output_dim=4))
    model = ContextEncoder(image_size=SIZE, widths=(4, 8), caption_units=3, precision="float32", **kwargs)
    model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-3))
    return model


@pytest.fixture(scope="module")
def untrained_model():
    """One untrained `tiny_model` for the tests that only call it (a new model traces its fills again)."""
    keras.utils.set_random_seed(0)
    return tiny_model()


def bump_batch():
    """Smooth images whose hole is not harmonic: a bump the border cannot show."""
    data = batch()
    rows, cols = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    bump = np.exp(-((rows - 0.5) ** 2 + (cols - 0.5) ** 2) / 0.02)[None, :, :, None] * np.array([0.8, -0.5, 0.3])
    bump = bump + 0.4 * (cols[None, :, :, None] - 0.5)  # border contrast well above known_contrast's floor
    data["image"] = np.repeat(bump, 8, axis=0).astype(np.float32)
    return data


def fit_on_a_bump(contrast_normalized):
    """A fresh harmonic-prefill model, its fill of `batch()` before any training, and its history over
    2 epochs of 10 steps on `bump_batch()` (the second epoch's loss is about a tenth of the first's)."""
    keras.utils.set_random_seed(0)
    model = tiny_model(prefill="harmonic", contrast_normalized=contrast_normalized)
    data = batch()
    untrained_fill = model.inpaint(data["image"], data["mask"], CAPTIONS)
    history = model.fit(tf.data.Dataset.from_tensors(bump_batch()).repeat(10), epochs=2, verbose=0).history
    return model, untrained_fill, history


@pytest.fixture(scope="module")
def harmonic_on_a_bump():
    return fit_on_a_bump(contrast_normalized=False)


@pytest.fixture(scope="module")
def contrast_normalized_on_a_bump():
    return fit_on_a_bump(contrast_normalized=True)


@pytest.mark.slow
def test_every_output_shape(untrained_model):
    data = batch()
    generator_inputs = [tf.zeros((2, SIZE, SIZE, 4)), tf.zeros((2, 4))]
    assert tuple(untrained_model.generator(generator_inputs).shape) == (2, SIZE, SIZE, 3)
    assert tuple(untrained_model.discriminator([tf.zeros((2, SIZE, SIZE, 3)), tf.zeros((2, 4))]).shape) == (2, 1)
    assert tuple(untrained_model(data).shape) == (8, SIZE, SIZE, 3)
    assert untrained_model.inpaint(data["image"], data["mask"], CAPTIONS).shape == (8, SIZE, SIZE, 3)
    assert untrained_model.inpaint(data["image"], data["mask"]).shape == (8, SIZE, SIZE, 3)  # no captions
    default = ContextEncoder(precision="float32")
    assert tuple(default.generator.get_layer("channel_wise_dense").output.shape) == (None, 4, 4, 256)
    assert default.generator.get_layer("decode_pixels").kernel.shape[:2] == (5, 5)


@pytest.mark.slow
def test_training_lowers_the_reconstruction_loss():
    model = tiny_model()
    data = tf.data.Dataset.from_tensors(batch()).repeat(30)
    history = model.fit(data, epochs=2, verbose=0).history
    assert history["reconstruction_loss"][1] < 0.8 * history["reconstruction_loss"][0]
    assert set(history) == {"g_loss", "d_loss", "reconstruction_loss", "hole_psnr"}
    assert set(model.evaluate(data.take(2), verbose=0, return_dict=True)) == {"reconstruction_loss", "hole_psnr"}


@pytest.mark.slow
def test_adversarial_weight_zero_leaves_the_discriminator_alone():
    model = tiny_model()
    model.compile(adversarial_weight=0.0)
    before = [weight.numpy() for weight in model.discriminator.weights]
    history = model.fit(tf.data.Dataset.from_tensors(batch()).repeat(3), verbose=0).history
    assert "d_loss" not in history
    for weight, old in zip(model.discriminator.weights, before):
        np.testing.assert_array_equal(weight.numpy(), old)


def test_inpaint_keeps_known_pixels_exactly_for_any_mask(untrained_model):
    data = batch()
    masks = (np.random.default_rng(1).uniform(size=(8, SIZE, SIZE, 1)) > 0.3).astype(np.float32)
    filled = untrained_model.inpaint(data["image"], masks, CAPTIONS)
    known = np.broadcast_to(masks == 1, filled.shape)
    np.testing.assert_array_equal(filled[known], data["image"][known])
    assert np.abs(filled[~known] - data["image"][~known]).max() > 0


@pytest.mark.slow
def test_unconditioned_and_vector_conditioned_models():
    plain = ContextEncoder(image_size=SIZE, widths=(4, 8), precision="float32")
    assert not plain.conditioned and len(plain.generator.inputs) == 1
    plain.compile()
    plain.fit(tf.data.Dataset.from_tensors(batch(captions=False)).repeat(2), verbose=0)
    vectors = ContextEncoder(image_size=SIZE, widths=(4, 8), caption_dim=5, precision="float32")
    data = {**batch(captions=False), "caption": np.ones((8, 5), np.float32)}
    assert vectors(data).shape == (8, SIZE, SIZE, 3)
    with pytest.raises(ValueError, match=r"caption vectors \(batch, 5\); got shape \(8, 3\)"):
        vectors({**data, "caption": np.ones((8, 3), np.float32)})


def test_captions_change_the_fill_and_hidden_captions_are_zero_vectors(untrained_model):
    data = batch()
    with_captions = untrained_model.inpaint(data["image"], data["mask"], CAPTIONS)
    other = untrained_model.inpaint(data["image"], data["mask"], ["a blue disc"] * 8)
    assert np.abs(with_captions[:1] - other[:1]).max() > 0
    vectors = untrained_model.caption_vectors(None, 8)
    np.testing.assert_array_equal(vectors, np.zeros((8, 4)))


def test_bad_configuration_and_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="not divisible by 2\\^3"):
        ContextEncoder(image_size=20, widths=(4, 8, 16))
    with pytest.raises(ValueError, match="precision must be one of"):
        ContextEncoder(image_size=SIZE, widths=(4, 8), precision="float16")
    with pytest.raises(ValueError, match="prefill must be one of"):
        ContextEncoder(image_size=SIZE, widths=(4, 8), prefill="telea")
    model = tiny_model()
    with pytest.raises(ValueError, match=r"takes images \(batch, 16, 16, 3\)"):
        model.inpaint(np.zeros((1, 32, 32, 3)), np.ones((1, 32, 32, 1)))
    with pytest.raises(ValueError, match="reconstruction must be one of"):
        model.compile(reconstruction="l3")
    with pytest.raises(ValueError, match="contrast_normalized=True scales a correction to a prefill"):
        ContextEncoder(image_size=SIZE, widths=(4, 8), contrast_normalized=True)


@pytest.mark.slow
def test_nan_loss_stops_training_with_a_clear_error():
    model = tiny_model()
    data = batch()
    data["image"][0, 5, 5, 0] = np.nan
    with pytest.raises(TrainingDiverged, match="generator loss is NaN or infinite"):
        model.fit(tf.data.Dataset.from_tensors(data), verbose=0)


@pytest.mark.slow
@pytest.mark.parametrize("prefill, contrast_normalized", [(None, False), ("harmonic", False), ("harmonic", True)])
def test_keras_file_round_trip_and_resume(tmp_path, prefill, contrast_normalized):
    model = tiny_model(prefill=prefill, contrast_normalized=contrast_normalized)
    data = tf.data.Dataset.from_tensors(batch()).repeat(4)
    reloaded = fit_save_and_reload(model, data, str(tmp_path / "context.keras"))
    before = model.inpaint(batch()["image"], batch()["mask"], CAPTIONS)
    np.testing.assert_allclose(reloaded.inpaint(batch()["image"], batch()["mask"], CAPTIONS), before, atol=1e-6)
    assert int(reloaded.g_optimizer.iterations) == 4 and int(reloaded.d_optimizer.iterations) == 4
    for saved, loaded in zip(model.g_optimizer.variables, reloaded.g_optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
    assert reloaded.reconstruction_weight == model.reconstruction_weight
    # Resuming from the file takes exactly the step the original model takes.
    check_resumes_like_the_original(model, reloaded, data.take(1))


def test_mixed_bfloat16_computes_in_bfloat16_and_outputs_float32():
    model = ContextEncoder(image_size=SIZE, widths=(4, 8), precision="mixed_bfloat16")
    assert model.generator.get_layer("encode_0").compute_dtype == "bfloat16"
    assert model.generator.output.dtype == "float32" and model.discriminator.output.dtype == "float32"


def test_caption_in_decoder_tiles_the_caption_at_every_scale():
    model = tiny_model(caption_in_decoder=True)
    assert [layer.name for layer in model.generator.layers if layer.name.endswith("_caption")] == ["decode_0_caption"]
    assert model(batch()).shape == (8, SIZE, SIZE, 3)
    clone = ContextEncoder.from_config(as_json(model.get_config()))
    assert clone.caption_in_decoder and len(clone.generator.weights) == len(model.generator.weights)


@pytest.mark.slow
@pytest.mark.parametrize("contrast_normalized", [False, True])
def test_harmonic_prefill_starts_as_the_harmonic_fill_and_learns_a_correction(contrast_normalized, request):
    from kinpaint.poisson import harmonic_fill

    fixture = "contrast_normalized_on_a_bump" if contrast_normalized else "harmonic_on_a_bump"
    model, untrained_fill, history = request.getfixturevalue(fixture)
    data = batch()
    expected = np.clip(harmonic_fill(data["image"], data["mask"]), -1, 1)
    np.testing.assert_allclose(untrained_fill, expected, atol=1e-6)
    assert history["reconstruction_loss"][1] < 0.8 * history["reconstruction_loss"][0]
    data = bump_batch()
    filled = model.inpaint(data["image"], data["mask"], CAPTIONS)
    known = data["mask"][..., 0] == 1
    np.testing.assert_array_equal(filled[known], data["image"][known])


@pytest.mark.slow
def test_contrast_normalized_corrections_scale_with_the_border_contrast(contrast_normalized_on_a_bump):
    from kinpaint.poisson import harmonic_fill

    model = contrast_normalized_on_a_bump[0]  # trained: a nonzero correction
    data = batch(seed=1)
    mean = data["image"].mean(axis=(1, 2, 3), keepdims=True)
    corrections = []
    for factor in (1.0, 0.5):
        images = (mean + factor * (data["image"] - mean)).astype(np.float32)
        corrections.append(model.inpaint(images, data["mask"], CAPTIONS) - harmonic_fill(images, data["mask"]))
    assert np.abs(corrections[0]).max() > 1e-3
    np.testing.assert_allclose(corrections[1], 0.5 * corrections[0], atol=2e-3 * np.abs(corrections[0]).max())


@pytest.mark.slow
def test_training_on_the_log_l2_reconstruction_lowers_it():
    data = batch()
    model = tiny_model(prefill="harmonic")
    model.compile(keras.optimizers.Adam(1e-2), reconstruction="log_l2", adversarial_weight=0.0)
    # 10 steps an epoch: the second epoch's loss is about 0.5 lower, 10 times the margin asked
    history = model.fit(tf.data.Dataset.from_tensors(data).repeat(10), epochs=2, verbose=0).history
    assert history["reconstruction_loss"][1] < history["reconstruction_loss"][0] - 0.05
