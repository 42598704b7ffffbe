"""The patch discriminator and its mask-aware losses, and FourierInpainter's adversarial training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.data.masks import make_masks
from kinpaint.models import FourierInpainter
from kinpaint.models.patch_discriminator import (
    AdversarialTraining,
    build_patch_discriminator,
    discriminator_loss,
    generator_adversarial_loss,
    patch_holes,
    r1_penalty,
    random_phase_crops,
)
from layer_checks import check_resumes_like_the_original, fit_save_and_reload


def batch(count=8, size=16, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32)
    return images, make_masks("mixed", count, size, size // 2, seed)


def adversarial(weight=0.5, **options):
    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32", adversarial_weight=weight,
                             **options)
    model.compile(keras.optimizers.Adam(3e-3))
    return model


@pytest.fixture(scope="module")
def one_sgd_step():
    """An adversarial model after one SGD step on `batch()`, its weights before it and its generator's.
    A generator's SGD step is its gradient scaled, so any change to that gradient shows in its weights."""
    keras.utils.set_random_seed(0)
    images, masks = batch()
    model = adversarial(0.5)
    model.compile(keras.optimizers.SGD(0.1))
    initial, initial_generator = model.get_weights(), model.generator.get_weights()
    model.fit({"image": images, "mask": masks}, batch_size=8, epochs=1, verbose=0, shuffle=False)
    return model, initial, initial_generator


@pytest.mark.parametrize("shape", [(16, 16), (40, 24), (37, 21)])
def test_one_logit_per_patch_at_any_size(shape):
    network = build_patch_discriminator(width=4, depth=3)
    logits = network(np.zeros((2, *shape, 3), np.float32))
    assert tuple(logits.shape) == (2, -(-shape[0] // 8), -(-shape[1] // 8), 1) and logits.dtype == "float32"


def test_a_stem_adds_a_full_resolution_convolution_and_keeps_the_patch_grid():
    plain, stemmed = build_patch_discriminator(width=4), build_patch_discriminator(width=4, stem=True)
    assert stemmed.get_layer("patch_stem").strides == (1, 1)
    assert len(stemmed.weights) == len(plain.weights) + 2
    assert tuple(stemmed(np.zeros((1, 24, 16, 3), np.float32)).shape) == (1, 3, 2, 1)
    model = adversarial(discriminator_stem=True)
    assert model.discriminator.get_layer("patch_stem") is not None
    assert FourierInpainter.from_config(model.get_config()).adversarial.discriminator_stem


def test_patch_holes_are_each_patchs_hole_share():
    masks = np.ones((1, 16, 16, 1), np.float32)
    masks[0, :8, :4] = 0  # half of the top-left 8x8 patch
    holes = np.asarray(patch_holes(masks, np.zeros((1, 2, 2, 1), np.float32)))[0, ..., 0]
    np.testing.assert_allclose(holes, [[0.5, 0.0], [0.0, 0.0]])


def test_phase_crops_cut_every_tensor_at_one_offset_that_changes_with_the_seed():
    rows = np.arange(12, dtype=np.float32)[None, :, None, None] * np.ones((2, 12, 10, 1), np.float32)
    columns = np.arange(10, dtype=np.float32)[None, None, :, None] * np.ones((2, 12, 10, 3), np.float32)
    every_offset = {(top, left) for top in range(5) for left in range(5)}
    offsets = set()
    for step in range(400):
        cut_rows, cut_columns = random_phase_crops([rows, columns], 4, tf.constant([8, step], tf.int64))
        assert tuple(cut_rows.shape) == (2, 8, 6, 1) and tuple(cut_columns.shape) == (2, 8, 6, 3)
        offsets.add((int(cut_rows[0, 0, 0, 0]), int(cut_columns[0, 0, 0, 0])))
        if offsets == every_offset:
            break  # at step 64
    assert offsets == every_offset
    again = random_phase_crops([rows], 4, tf.constant([8, 3], tf.int64))[0]
    np.testing.assert_array_equal(again, random_phase_crops([rows], 4, tf.constant([8, 3], tf.int64))[0])


def test_r1_penalty_is_the_squared_gradient_norm_of_the_summed_logits():
    image = keras.Input((None, None, 3))
    linear = keras.Model(image, keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones")(image))
    linear.layers[1].kernel.assign(np.array([1.0, -2.0, 0.5], np.float32).reshape(1, 1, 3, 1))
    images = np.random.default_rng(0).uniform(-1, 1, (2, 5, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(r1_penalty(linear, images), [20 * 5.25] * 2, rtol=1e-6)  # 20 pixels, |w|^2 = 5.25


@pytest.mark.slow
def test_the_r1_penalty_trains_the_discriminator_only(one_sgd_step):
    images, masks = batch()
    plain, initial, _ = one_sgd_step
    penalised = adversarial(r1_weight=100.0)
    penalised.compile(keras.optimizers.SGD(0.1))
    penalised.set_weights(initial)
    penalised.fit({"image": images, "mask": masks}, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for mine, theirs in zip(plain.generator.get_weights(), penalised.generator.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert any(not np.allclose(mine, theirs) for mine, theirs in
               zip(plain.discriminator.get_weights(), penalised.discriminator.get_weights()))


@pytest.mark.slow
def test_shifted_and_penalised_training_runs_round_trips_and_ships_without_them(tmp_path):
    from kinpaint.pretrained_models import inference_copy

    images, masks = batch()
    model = adversarial(discriminator_shift=True, r1_weight=0.01)
    history = model.fit({"image": images, "mask": masks}, batch_size=4, epochs=2, verbose=0).history
    assert all(np.isfinite(history[name]).all() for name in ("d_loss", "adversarial_loss"))
    model.save(tmp_path / "shifted.keras")
    reloaded = keras.models.load_model(tmp_path / "shifted.keras")
    assert reloaded.adversarial == AdversarialTraining(weight=0.5, discriminator_shift=True, r1_weight=0.01)
    copy = inference_copy(model)
    assert copy.discriminator is None and copy.adversarial == AdversarialTraining()


def test_the_losses_judge_hole_patches_only():
    holes = np.array([[[[1.0], [0.0]]], [[[0.0], [0.0]]]], np.float32)  # (2, 1, 2, 1): a hole patch in the first
    logits = tf.Variable(np.zeros((2, 1, 2, 1), np.float32))
    with tf.GradientTape() as tape:
        loss = generator_adversarial_loss(logits, holes)
    gradient = tape.gradient(loss, logits).numpy()
    np.testing.assert_allclose(np.asarray(loss), [np.log(2.0), 0.0], rtol=1e-6)
    assert gradient[0, 0, 0, 0] < 0 and gradient[0, 0, 1, 0] == 0 and not gradient[1].any()  # "look real" in holes
    real, fake = np.full((2, 1, 2, 1), 3.0, np.float32), np.array([[[[-3.0], [3.0]]]] * 2, np.float32)
    good = np.asarray(discriminator_loss(real, fake, holes))
    fooled = np.asarray(discriminator_loss(real, -fake, holes))
    assert good[0] < 0.1 and fooled[0] > good[0]  # right: real known patches, a fake hole patch


def test_fake_hole_patches_weigh_as_much_as_all_real_ones():
    holes = np.zeros((2, 1, 4, 1), np.float32)
    holes[0, 0, 0] = 1.0  # one hole cell of four in the first example, none in the second
    real = np.zeros((2, 1, 4, 1), np.float32)  # softplus(0) = log 2 everywhere
    fake = np.zeros((2, 1, 4, 1), np.float32)
    fake[0, 0, 0] = 5.0  # the hole cell: confidently real, so wrongly judged
    loss = np.asarray(discriminator_loss(real, fake, holes))
    # real part: 4 real cells + 3 known fake cells, all log 2; fake part: softplus(5) over the one hole cell
    np.testing.assert_allclose(loss[0], np.log(2.0) + np.log1p(np.exp(5.0)), rtol=1e-5)
    np.testing.assert_allclose(loss[1], np.log(2.0), rtol=1e-5)  # no hole: the real term only


@pytest.mark.slow
def test_the_adversarial_term_reaches_the_generator(one_sgd_step):
    images, masks = batch()
    critic, _, initial_generator = one_sgd_step
    plain = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    plain.compile(keras.optimizers.SGD(0.1))
    plain.generator.set_weights(initial_generator)
    plain.fit({"image": images, "mask": masks}, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert any(not np.allclose(a, b) for a, b in zip(plain.generator.get_weights(), critic.generator.get_weights()))
    # Adam keeps two slots per variable it was built over, plus its step count and rate: the discriminator's only.
    assert len(critic.d_optimizer.variables) == 2 * len(critic.discriminator.trainable_variables) + 2
    critic_ids = {id(v) for v in critic.discriminator.weights}
    assert not critic_ids & {id(v) for v in critic.generator_variables}


@pytest.mark.slow
def test_adversarial_training_trains_both_networks_and_logs_both_losses():
    images, masks = batch()
    model = adversarial()
    generator_before = [w.numpy().copy() for w in model.generator.trainable_weights]
    critic_before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    history = model.fit({"image": images, "mask": masks}, batch_size=4, epochs=2, verbose=0).history
    assert {"reconstruction_loss", "hole_psnr", "adversarial_loss", "d_loss"} <= set(history)
    assert all(np.isfinite(history[name]).all() for name in history)
    for before, weights in ((generator_before, model.generator), (critic_before, model.discriminator)):
        for old, weight in zip(before, weights.trainable_weights):
            assert not np.array_equal(old, weight.numpy()), weight.path
    assert int(model.d_optimizer.iterations) == int(model.optimizer.iterations) == 4


def test_without_a_weight_there_is_no_discriminator_and_the_model_is_as_before():
    plain = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    assert plain.discriminator is None and len(plain.weights) == len(plain.generator.weights)
    plain.compile()
    assert plain.get_compile_config().keys() == {"optimizer", "reconstruction"}


@pytest.mark.slow
def test_keras_file_round_trip_keeps_the_discriminator_and_resumes_alike(tmp_path):
    import kinpaint  # noqa: F401

    images, masks = batch()
    data = tf.data.Dataset.from_tensor_slices({"image": images, "mask": masks}).batch(4)
    model = adversarial(0.25, mask_kind="strokes")
    reloaded = fit_save_and_reload(model, data, tmp_path / "adversarial.keras")
    assert reloaded.adversarial.weight == 0.25 and reloaded.discriminator is not None
    assert int(reloaded.d_optimizer.iterations) == 2
    np.testing.assert_allclose(reloaded.inpaint(images, masks), model.inpaint(images, masks), atol=1e-6)
    check_resumes_like_the_original(model, reloaded, data)


@pytest.mark.slow
def test_shipping_leaves_the_discriminator_out_and_fills_alike():
    from kinpaint.pretrained_models import inference_copy

    images, masks = batch()
    model = adversarial(discriminator_stem=True)
    model.fit({"image": images, "mask": masks}, batch_size=4, epochs=1, verbose=0)
    copy = inference_copy(model)
    assert copy.discriminator is None and copy.adversarial == AdversarialTraining()
    assert len(copy.weights) == len(model.generator.weights)
    np.testing.assert_array_equal(copy.inpaint(images, masks), model.inpaint(images, masks))


@pytest.mark.slow
def test_mixed_precision_discriminator_gives_float32_logits():
    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="mixed_bfloat16", adversarial_weight=0.5)
    model.compile()
    images, masks = batch(4)
    history = model.fit({"image": images, "mask": masks}, batch_size=2, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"]).all()
    assert model.discriminator.layers[1].compute_dtype == "bfloat16"
    assert model.discriminator(images).dtype == "float32"


@pytest.mark.parametrize("weight", [-0.1, float("nan"), float("inf"), "0.3"])
def test_a_bad_weight_is_named(weight):
    with pytest.raises(ValueError, match="adversarial_weight must be a finite number at least 0"):
        FourierInpainter(image_size=16, width=4, blocks=1, adversarial_weight=weight)
    with pytest.raises(ValueError, match="adversarial_weight must be a finite number at least 0"):
        FourierInpainter(image_size=16, adversarial=AdversarialTraining(weight=weight))


def test_the_adversarial_setting_is_one_object_that_the_flat_arguments_fill():
    grouped = FourierInpainter(image_size=16, width=4, blocks=1,
                               adversarial=AdversarialTraining(weight=0.5, discriminator_stem=True, r1_weight=0.1))
    flat = FourierInpainter(image_size=16, width=4, blocks=1, adversarial_weight=0.5, discriminator_stem=True,
                            r1_weight=0.1)
    assert grouped.adversarial == flat.adversarial and grouped.discriminator.get_layer("patch_stem") is not None
    config = grouped.get_config()
    assert config["adversarial"] == {"weight": 0.5, "discriminator_stem": True, "discriminator_shift": False,
                                     "r1_weight": 0.1}
    assert not {"adversarial_weight", "r1_weight", "discriminator_stem"} & set(config)
    assert FourierInpainter.from_config(config).adversarial == grouped.adversarial
    older = {**{name: value for name, value in config.items() if name != "adversarial"},
             **grouped.adversarial.flat(), "feature_matching_weight": 0.0}  # a file saved before the grouping
    assert FourierInpainter.from_config(older).adversarial == grouped.adversarial
    assert FourierInpainter(image_size=16, adversarial=config["adversarial"], adversarial_weight=0.0,
                            discriminator_stem=False, r1_weight=0.0).discriminator is None  # flat ones replace fields
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(grouped.adversarial)) == \
        grouped.adversarial


def test_feature_matching_is_gone_and_a_file_that_used_it_is_refused_by_name():
    config = FourierInpainter(image_size=16, width=4, blocks=1).get_config()
    with pytest.raises(ValueError, match="feature_matching_weight=2.0, an option removed .*docs/pretrained.md"):
        FourierInpainter.from_config({**config, "adversarial_weight": 0.5, "feature_matching_weight": 2.0})
    with pytest.raises(ValueError, match="Unrecognized keyword arguments .*feature_matching_weight"):
        FourierInpainter(image_size=16, adversarial_weight=0.5, feature_matching_weight=1.0)


def test_discriminator_settings_without_a_discriminator_are_refused():
    with pytest.raises(ValueError, match="discriminator_stem=True needs a discriminator"):
        FourierInpainter(image_size=16, width=4, blocks=1, discriminator_stem=True)
    with pytest.raises(ValueError, match="discriminator_shift=True needs a discriminator"):
        FourierInpainter(image_size=16, width=4, blocks=1, discriminator_shift=True)
    with pytest.raises(ValueError, match="r1_weight=0.5 needs a discriminator"):
        FourierInpainter(image_size=16, width=4, blocks=1, r1_weight=0.5)
    with pytest.raises(ValueError, match="r1_weight must be a finite number at least 0"):
        FourierInpainter(image_size=16, width=4, blocks=1, adversarial_weight=0.5, r1_weight=-1)
    with pytest.raises(ValueError, match="d_optimizer trains a discriminator, and this model has none"):
        FourierInpainter(image_size=16, width=4, blocks=1).compile(d_optimizer=keras.optimizers.Adam())


@pytest.mark.slow
def test_shipping_a_captioned_adversarial_model_keeps_its_caption_encoder():
    from kinpaint.captions import MeanWordEmbedding
    from kinpaint.pretrained_models import inference_copy

    images, masks = batch(4)
    captions = np.array(["red square", "blue square", "red", "blue"], dtype=object)
    encoder = MeanWordEmbedding.from_captions(list(captions), output_dim=4)
    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32", adversarial_weight=0.5,
                             caption_encoder=encoder)
    model.compile(keras.optimizers.Adam(1e-2))
    model.fit({"image": images, "mask": masks, "caption": captions}, batch_size=2, epochs=1, verbose=0)
    copy = inference_copy(model)
    for mine, theirs in zip(copy.caption_encoder.get_weights(), model.caption_encoder.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(copy.inpaint(images, masks, list(captions)),
                                  model.inpaint(images, masks, list(captions)))
