"""FourierInpainter: the harmonic fill corrected by Fourier and gated convolutions, at any size."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from kinpaint.data.masks import make_masks
from kinpaint.inpainting import hole_depth
from kinpaint.models import FourierInpainter
from kinpaint.models.fourier_inpainter import DETAIL_CONTEXT, scaled_down, two_scale_blend
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


@pytest.fixture(scope="module")
def learned():
    """`tiny()` trained 15 epochs on `batch()`, its fill before training and its history; tests only read it."""
    keras.utils.set_random_seed(0)
    images, masks = batch()
    model = tiny()
    untrained_fill = model.inpaint(images, masks)
    history = model.fit({"image": images, "mask": masks}, batch_size=4, epochs=15, verbose=0).history
    return SimpleNamespace(model=model, untrained_fill=untrained_fill, history=history)


@pytest.mark.slow
def test_it_starts_as_the_harmonic_fill_and_learns_a_correction(learned):
    images, masks = batch()
    np.testing.assert_allclose(learned.untrained_fill, np.asarray(harmonic_fill(images, masks)), atol=1e-5)
    assert learned.history["reconstruction_loss"][-1] < learned.history["reconstruction_loss"][0]
    assert not np.allclose(learned.model.inpaint(images, masks), np.asarray(harmonic_fill(images, masks)), atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(16, 16), (64, 48), (37, 21)])
def test_pictures_of_any_size_keep_their_known_pixels(learned, shape):
    model = learned.model
    images = np.random.default_rng(1).uniform(-1, 1, (2, *shape, 3)).astype(np.float32)
    masks = np.ones((2, *shape, 1), np.float32)
    masks[:, shape[0] // 4 : shape[0] // 2, shape[1] // 3 :] = 0
    filled = model.inpaint(images, masks)
    assert filled.shape == images.shape
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], images[known])


@pytest.mark.slow
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


def test_hole_depth_counts_steps_to_the_nearest_known_pixel():
    masks = np.ones((4, 12, 12, 1), np.float32)
    masks[1, 2:10, 2:10] = 0  # an 8x8 square: 4 steps to its middle
    masks[2, 5, :] = 0  # a line one pixel wide
    masks[3] = 0  # no known pixel: as deep as the picture is wide
    np.testing.assert_array_equal(hole_depth(masks), [0, 4, 1, 12])
    assert list(hole_depth(make_masks("centre", 1, 256, 128))) == [64]
    np.testing.assert_array_equal(hole_depth(masks, at_most=4), [0, 4, 1, 4])


def test_two_scale_blend_keeps_a_fill_whose_coarse_scale_agrees_and_the_known_pixels():
    import tensorflow as tf

    images, masks = batch(2, size=32)
    full = np.random.default_rng(3).uniform(-0.5, 0.5, images.shape).astype(np.float32)
    agreeing = tf.image.resize(full, (8, 8), method="area").numpy()
    blended = two_scale_blend(full, agreeing, images, masks)
    hole = masks[..., 0] < 0.5
    np.testing.assert_allclose(blended[hole], full[hole], atol=1e-5)
    np.testing.assert_array_equal(blended[~hole], images[~hole])
    brighter = two_scale_blend(full, agreeing + 0.2, images, masks)
    np.testing.assert_allclose(brighter[hole], np.clip(full[hole] + 0.2, -1, 1), atol=1e-4)


@pytest.mark.slow
def test_coarse_side_fills_deep_holes_at_two_scales_and_shallow_ones_at_full_resolution(learned, tmp_path):
    import kinpaint  # noqa: F401

    plain = learned.model
    model = FourierInpainter.from_config({**plain.get_config(), "coarse_side": 8})
    model.set_weights(plain.get_weights())
    images, deep = batch(2, size=32, kind="centre")  # 16x16 hole: depth 8, deeper than the 16 px crops' 4
    shallow = np.ones_like(deep)
    shallow[:, 10:14, 3:30] = 0  # a band 4 pixels high: depth 2
    assert (hole_depth(shallow) <= 4).all()
    two_scale = model.inpaint(images, deep)
    assert not np.allclose(two_scale, plain.inpaint(images, deep), atol=1e-4)
    np.testing.assert_array_equal(two_scale[deep[..., 0] == 1], images[deep[..., 0] == 1])
    np.testing.assert_array_equal(model.inpaint(images, shallow), plain.inpaint(images, shallow))
    small = images[:, :12, :12]  # under twice coarse_side: one scale
    np.testing.assert_array_equal(model.inpaint(small, deep[:, :12, :12]), plain.inpaint(small, deep[:, :12, :12]))
    model.save(tmp_path / "two_scale.keras")
    loaded = keras.models.load_model(tmp_path / "two_scale.keras")
    assert loaded.coarse_side == 8
    np.testing.assert_allclose(loaded.inpaint(images, deep), two_scale, atol=1e-5)


@pytest.mark.slow
def test_a_two_scale_fill_adds_detail_from_a_crop_around_the_hole_only():
    import kinpaint  # noqa: F401

    model = tiny(coarse_side=8)
    rng = np.random.default_rng(0)  # random weights: a correction that reads the whole picture
    model.generator.set_weights([rng.normal(0, 0.3, weight.shape) for weight in model.generator.get_weights()])
    plain = FourierInpainter.from_config({**model.get_config(), "coarse_side": None})
    plain.set_weights(model.get_weights())
    images, masks = batch(2, size=320, kind="centre")  # hole rows and columns 80 to 240
    top, bottom = 80 - DETAIL_CONTEXT, 240 + DETAIL_CONTEXT
    detail = images.copy()
    detail[:, top:bottom, top:bottom] = plain.inpaint(images[:, top:bottom, top:bottom],
                                                      masks[:, top:bottom, top:bottom])
    coarse = plain.inpaint(*scaled_down(images, masks, (8, 8)))
    filled = model.inpaint(images, masks)
    np.testing.assert_allclose(filled, two_scale_blend(detail, coarse, images, masks), atol=1e-5)
    whole = two_scale_blend(plain.inpaint(images, masks), coarse, images, masks)  # the detail pass over it all
    assert np.abs(filled - whole).max() > 1e-3


@pytest.mark.slow
def test_each_picture_of_a_batch_fills_as_it_would_alone_whatever_its_hole():
    import kinpaint  # noqa: F401

    model = tiny(coarse_side=8, caption_encoder=words())
    rng = np.random.default_rng(0)
    model.generator.set_weights([rng.normal(0, 0.3, weight.shape) for weight in model.generator.get_weights()])
    images, _ = batch(3, size=160)
    masks = np.ones((3, 160, 160, 1), np.float32)
    masks[0, 10:60, 20:70] = 0  # deep, in a corner
    masks[1, 90:150, 100:150] = 0  # deep, in the other corner: a shared box would be the whole picture
    masks[2, 70:74, 10:150] = 0  # a thin band: full resolution only
    captions = np.array(["red", "blue", "red"], dtype=object)
    together = model.inpaint(images, masks, captions)
    for index in range(3):
        alone = model.inpaint(images[index : index + 1], masks[index : index + 1], captions[index : index + 1])
        np.testing.assert_allclose(together[index], alone[0], atol=1e-5)


@pytest.mark.slow
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
    for side in (4, 16.5, "64"):
        with pytest.raises(ValueError, match="coarse_side must be None or a whole number"):
            FourierInpainter(image_size=16, coarse_side=side)
    with pytest.raises(ValueError, match="reconstruction must be one of"):
        tiny().compile(reconstruction="l3")
    with pytest.raises(ValueError, match="takes images \\(batch, H, W, 3\\)"):
        tiny().inpaint(np.zeros((1, 8, 8, 1)), np.ones((1, 8, 8, 1)))


@pytest.mark.slow
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


# Captions.

COLOURS = {"a red square": (0.5, -0.5, -0.5), "a blue square": (-0.5, -0.5, 0.5)}


def captioned_batch(count=16, size=16, seed=0):
    """Noisy grey borders around a centre square whose colour only the caption tells."""
    rng = np.random.default_rng(seed)
    images = np.clip(rng.normal(0, 0.3, (count, size, size, 3)), -1, 1).astype(np.float32)
    captions = np.array([list(COLOURS)[index % 2] for index in range(count)], dtype=object)
    quarter = slice(size // 4, 3 * size // 4)
    for image, caption in zip(images, captions):
        image[quarter, quarter] = COLOURS[caption]
    return images, make_masks("centre", count, size, size // 2, seed), captions


def words(captions=tuple(COLOURS)):
    from kinpaint.captions import MeanWordEmbedding

    return MeanWordEmbedding.from_captions(list(captions), output_dim=8)


@pytest.fixture(scope="module")
def reads_captions(tmp_path_factory):
    """`tiny` reading words without caption dropout, trained 30 epochs on `captioned_batch()`, its
    fill before training and a `.keras` file of it; tests only read it, or load a copy."""
    keras.utils.set_random_seed(0)
    images, masks, captions = captioned_batch()
    model = tiny(caption_encoder=words(), caption_dropout=0.0)
    untrained_fill = model.inpaint(images, masks, list(captions))
    model.fit({"image": images, "mask": masks, "caption": captions}, batch_size=8, epochs=30, verbose=0)
    path = tmp_path_factory.mktemp("captioned") / "reads_captions.keras"
    model.save(path)
    return SimpleNamespace(model=model, untrained_fill=untrained_fill, path=path)


def hole_psnr(model, images, masks, captions):
    from kinpaint.metrics import psnr

    return float(np.mean(psnr(images, model.inpaint(images, masks, captions), masks)))


def test_without_captions_it_builds_the_generator_it_always_had():
    model = tiny()
    assert not model.conditioned and len(model.generator.inputs) == 1
    assert [layer.name for layer in model.generator.layers] == [
        "prefilled", "input_gate", "down_0", "down_1", "fourier_0_a", "fourier_0_b", "fourier_0_residual",
        "up_1_resize", "up_1", "up_0_resize", "up_0", "correction", "fill"]
    images, masks, captions = captioned_batch(4)
    np.testing.assert_array_equal(model.inpaint(images, masks, list(captions)), model.inpaint(images, masks))


@pytest.mark.slow
def test_a_captioned_model_starts_as_the_harmonic_fill_and_learns_to_read_the_caption(reads_captions):
    images, masks, captions = captioned_batch()
    model = reads_captions.model
    assert [layer.name for layer in model.generator.layers if "caption" in layer.name] == [
        "caption_vector", "caption_projection", "fourier_0_caption"]
    np.testing.assert_allclose(reads_captions.untrained_fill, np.asarray(harmonic_fill(images, masks)), atol=1e-5)
    swapped = list(captions[1:]) + list(captions[:1])  # every image gets the other colour's caption
    true, other = hole_psnr(model, images, masks, list(captions)), hole_psnr(model, images, masks, swapped)
    assert true > other + 3.0, (true, other)  # seeds 0-3 gave gaps of 10 to 15 dB


@pytest.mark.slow
def test_caption_dropout_hides_captions_in_training(reads_captions):
    images, masks, captions = captioned_batch(8)
    model = tiny(caption_encoder=words(), caption_dropout=1.0)
    embeddings = [weight.numpy() for weight in model.caption_encoder.weights]
    model.fit({"image": images, "mask": masks, "caption": captions}, batch_size=4, epochs=2, verbose=0)
    # every caption hidden: zero vectors, so nothing reaches the encoder or the caption's projection
    for weight, before in zip(model.caption_encoder.weights, embeddings):
        np.testing.assert_array_equal(weight.numpy(), before)
    np.testing.assert_array_equal(model.generator.get_layer("fourier_0_caption").weights[0].numpy(), 0)
    moved = reads_captions.model  # trained without caption dropout: the captions reach the projection
    assert np.abs(moved.generator.get_layer("fourier_0_caption").weights[0].numpy()).max() > 0


def test_caption_noise_is_drawn_in_training_only_and_scales_with_the_vector():
    vectors = np.random.default_rng(0).normal(size=(256, 64)).astype(np.float32)
    vectors[:128] *= 10.0  # ten times longer vectors get ten times the noise
    model = tiny(caption_dim=64, caption_noise=0.5, caption_dropout=0.0)
    np.testing.assert_array_equal(model.caption_vectors(vectors, 256, training=False), vectors)
    noise = np.asarray(model.caption_vectors(vectors, 256, training=True)) - vectors
    rms = np.sqrt(np.mean(np.square(vectors), axis=-1))
    spread = noise.std(axis=-1) / rms
    np.testing.assert_allclose(spread.mean(), 0.5, rtol=0.05)
    assert np.corrcoef(noise[:, 0], noise[:, 1])[0, 1] < 0.2  # independent per component
    hidden = tiny(caption_dim=64, caption_noise=0.5, caption_dropout=1.0)
    np.testing.assert_array_equal(hidden.caption_vectors(vectors, 256, training=True), 0)  # no caption stays none
    for bad in (-1.0, float("inf"), None):
        with pytest.raises(ValueError, match="caption_noise must be a finite number at least 0"):
            tiny(caption_dim=64, caption_noise=bad)
    with pytest.raises(ValueError, match="needs a model that reads captions"):
        tiny(caption_noise=1.0)


@pytest.mark.slow
def test_caption_guidance_moves_the_fill_between_no_caption_and_the_caption(reads_captions, tmp_path):
    images, masks, captions = captioned_batch(8)
    model = keras.models.load_model(reads_captions.path)  # a copy: the test sets its guidance
    with_caption, without = model.inpaint(images, masks, list(captions)), model.inpaint(images, masks)
    assert np.abs(with_caption - without).max() > 1e-3  # the caption changes the fill
    model.caption_guidance = 0.5  # set on a trained model: the next fill uses it
    np.testing.assert_allclose(model.inpaint(images, masks, list(captions)),
                               np.clip((with_caption + without) / 2, -1, 1), atol=1e-5)
    np.testing.assert_allclose(model.inpaint(images, masks), without, atol=1e-6)  # no caption: unchanged
    model.caption_guidance = 0
    np.testing.assert_allclose(model.inpaint(images, masks, list(captions)), without, atol=1e-5)
    model.caption_guidance = np.float32(0.5)  # NumPy numbers too
    model.save(tmp_path / "guided.keras")
    loaded = keras.models.load_model(tmp_path / "guided.keras")
    assert loaded.caption_guidance == 0.5
    np.testing.assert_allclose(loaded.inpaint(images, masks, list(captions)),
                               model.inpaint(images, masks, list(captions)), atol=1e-5)
    for bad in (-1, float("nan"), float("inf"), "strong", True):
        with pytest.raises(ValueError, match="caption_guidance must be a finite number at least 0"):
            model.caption_guidance = bad
    with pytest.raises(ValueError, match="needs a model that reads captions"):
        tiny(caption_guidance=0.5)


@pytest.mark.slow
def test_an_object_layer_starts_almost_transparent_and_paints_over_the_fill():
    images, masks, captions = captioned_batch(4)
    model = tiny(caption_encoder=words(), object_layer=True)
    opacity = 1 / (1 + np.exp(6.0))  # sigmoid(-6), over a colour tanh(0) = 0
    harmonic = np.asarray(harmonic_fill(images, masks))
    np.testing.assert_allclose(model.inpaint(images, masks, list(captions)), np.where(
        masks == 1, images, (1 - opacity) * harmonic), atol=1e-5)
    model.generator.get_layer("object_opacity").weights[1].assign([20.0])  # opaque
    model.generator.get_layer("object_colour").weights[1].assign([0.5, -0.5, 0.0])
    hole = masks[..., 0] == 0
    np.testing.assert_allclose(model.inpaint(images, masks)[hole], np.tanh([0.5, -0.5, 0.0])[None].repeat(
        hole.sum(), 0), atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("reads", ["words", "vectors"])
def test_a_captioned_model_round_trips_its_config_and_keras_file(tmp_path, reads):
    import json

    import kinpaint  # noqa: F401

    images, masks, captions = captioned_batch(8)
    if reads == "words":
        model = tiny(caption_encoder=words(), caption_units=8, caption_dropout=0.25, object_layer=True)
    else:
        captions = np.random.default_rng(0).normal(size=(8, 5)).astype(np.float32)
        model = tiny(caption_dim=5, caption_units=8, caption_dropout=0.25, caption_noise=2.0)
    data = {"image": images, "mask": masks, "caption": captions}
    model.fit(data, batch_size=4, epochs=1, verbose=0)
    clone = FourierInpainter.from_config(model.get_config())
    assert json.loads(json.dumps(clone.get_config())) == json.loads(json.dumps(model.get_config()))
    model.save(tmp_path / "captioned.keras")
    loaded = keras.models.load_model(tmp_path / "captioned.keras")
    assert (loaded.caption_dim, loaded.caption_units, loaded.caption_dropout) == (model.caption_dim, 8, 0.25)
    assert loaded.object_layer == (reads == "words")
    assert loaded.caption_noise == model.caption_noise
    for given in (captions, None):
        np.testing.assert_allclose(loaded.inpaint(images, masks, given), model.inpaint(images, masks, given),
                                   atol=1e-6)
    model.fit(data, batch_size=4, epochs=1, verbose=0, shuffle=False)
    loaded.fit(data, batch_size=4, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(loaded.inpaint(images, masks, captions), model.inpaint(images, masks, captions),
                               atol=1e-5)


@pytest.mark.slow
def test_captions_of_pictures_of_any_size_and_their_mistakes(reads_captions):
    model = reads_captions.model
    images = np.random.default_rng(1).uniform(-1, 1, (2, 24, 40, 3)).astype(np.float32)
    masks = np.ones((2, 24, 40, 1), np.float32)
    masks[:, 6:18, 10:30] = 0
    assert model.inpaint(images, masks, ["a red square", "a blue square"], batch_size=1).shape == images.shape
    with pytest.raises(ValueError, match="FourierInpainter"):
        model.inpaint(images, masks, ["a red square"])
    with pytest.raises(ValueError, match="caption_units must be at least 1"):
        tiny(caption_encoder=words(), caption_units=0)


@pytest.mark.slow
def test_kinpaint_train_fourier_reads_captions(shapes_store, tmp_path):
    from kinpaint.cli.main import main
    from kinpaint.saving import load_model

    out = tmp_path / "run"
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(out), "--captions", "words", "--width", "4",
                 "--blocks", "1", "--batch-size", "8", "--epochs", "1", "--steps-per-epoch", "2",
                 "--precision", "float32", "--object-layer"]) == 0
    model = load_model(out / "fourier_inpainter.keras")
    assert model.conditioned and type(model.caption_encoder).__name__ == "MeanWordEmbedding" and model.object_layer
    assert "Fourier inpainter, captions" in (out / "evaluation.md").read_text()


@pytest.mark.parametrize("captions", ["chars", "words:VECTORS", "none"])
@pytest.mark.slow
def test_a_fourier_run_gets_the_caption_encoder_it_names(shapes_store, tmp_path, captions):
    from kinpaint.captions import CaptionSetup
    from kinpaint.data import Store
    from kinpaint.recipes import build_model, run_config

    if captions == "words:VECTORS":
        vectors = tmp_path / "vectors.txt"
        vectors.write_text("".join(f"{word} {index} 0.5 -1\n" for index, word in enumerate(["a", "red", "blue"])))
        captions = f"words:{vectors}"
    store = Store(shapes_store)
    setup = CaptionSetup.for_training(store, captions)
    model = build_model(run_config("fourier", shapes_store, str(tmp_path), width=4, blocks=1, precision="float32"),
                        setup, store.image_size)
    encoder = type(model.caption_encoder).__name__ if model.conditioned else None
    assert encoder == {"chars": "CharCNNGRU", "none": None}.get(captions, "MeanWordEmbedding")
    assert ("caption_vector" in [layer.name for layer in model.generator.layers]) == (captions != "none")
