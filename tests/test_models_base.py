"""What every model inherits from InpaintingModel: the forms `fit` accepts, drawn masks, captions."""

import functools
import gc

import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.captions import MeanWordEmbedding
from kinpaint.data.masks import centre_mask
from kinpaint.models import DCGAN, ContextEncoder, FourierInpainter, GatedPixelInpainter

CAPTIONS = np.array(["a red square", "a blue circle", "a green cross", "a red circle"], dtype=object)


def build(kind, captions=True, **options):
    encoder = MeanWordEmbedding.from_captions(list(CAPTIONS), output_dim=4) if captions else None
    if kind == "context":
        model = ContextEncoder(image_size=16, widths=(8, 16), caption_encoder=encoder, precision="float32", **options)
    elif kind == "pixel":
        model = GatedPixelInpainter(image_size=16, features=8, bottleneck=4, blocks=1, head=8,
                                    caption_encoder=encoder, precision="float32", **options)
    elif kind == "fourier":  # reads no captions: they are accepted and ignored
        model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32", **options)
    else:
        model = DCGAN(image_size=16, noise_dim=4, generator_widths=(16, 8), discriminator_widths=(8, 16),
                      caption_encoder=encoder, precision="float32", **options)
    model.compile()
    return model


def images(count=4, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 16, 16, 3)).astype(np.float32)


def finite_logs(history):
    return all(np.isfinite(values[-1]) for values in history.history.values()) and history.history


FORMS = {
    "dict": lambda x: dict(x={"image": x, "mask": np.repeat(centre_mask(16, 8)[None], len(x), 0),
                              "caption": CAPTIONS}),
    "array": lambda x: dict(x=x),
    "tensor": lambda x: dict(x=tf.constant(x)),
    "dataset of images": lambda x: dict(x=tf.data.Dataset.from_tensor_slices(x).batch(2)),
    "uint8 array": lambda x: dict(x=((x + 1) * 127.5).astype(np.uint8)),
    "(images, captions) tuple": lambda x: dict(x=x, y=CAPTIONS),
    "dataset of (images, captions)": lambda x: dict(x=tf.data.Dataset.from_tensor_slices((x, CAPTIONS)).batch(2)),
}


@pytest.fixture(scope="module")
def model_of_kind():
    """`build(kind)`, once per kind for every form: construction builds the networks, so a later
    form's fit differs from a fresh model's only in the optimizer's state and the steps already
    traced; sharing cut these 28 fits from 24.8 to 19.3 s."""
    return functools.cache(build)


@pytest.fixture(scope="module")
def plain_of_kind():
    """`build(kind, captions=False)` once per kind, for the tests below that only read a model
    or whose fits a check stops before any weight moves; a second such fit reuses the trace."""
    return functools.cache(functools.partial(build, captions=False))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["context", "pixel", "dcgan", "fourier"])
@pytest.mark.parametrize("form", list(FORMS))
def test_fit_accepts_every_documented_form(model_of_kind, kind, form):
    model = model_of_kind(kind)
    history = model.fit(**FORMS[form](images()), batch_size=None if "dataset" in form else 2, epochs=1, verbose=0)
    assert finite_logs(history)


@pytest.mark.parametrize("kind", ["context", "pixel", "dcgan"])
def test_fit_rejects_other_forms_naming_what_it_accepts(kind):
    model = build(kind)
    with pytest.raises((TypeError, ValueError), match="it accepts a dict batch|fit accepts a dict batch"):
        model.fit(tf.data.Dataset.from_tensor_slices((images(), CAPTIONS, CAPTIONS)).batch(2), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="no 'image'"):
        model.fit(tf.data.Dataset.from_tensor_slices({"picture": images()}).batch(2), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"takes images \(batch, 16, 16, 3\)"):
        model.fit(np.zeros((4, 16, 16, 1), np.float32), epochs=1, verbose=0)


@pytest.mark.slow
def test_plain_images_get_centre_holes_unless_told_otherwise(plain_of_kind):
    model = plain_of_kind("context")
    _, masks, captions = model._unpack(tf.constant(images()))
    np.testing.assert_array_equal(masks.numpy(), np.repeat(centre_mask(16, 8)[None], 4, 0))
    assert captions is None

    strokes = build("context", captions=False, mask_kind="strokes")
    first = strokes._unpack(tf.constant(images()))[1].numpy()
    assert not np.array_equal(first, masks.numpy()) and set(np.unique(first)) <= {0.0, 1.0}
    strokes.fit(images(), epochs=1, batch_size=2, verbose=0)  # the step counter moves on: new masks
    assert not np.array_equal(strokes._unpack(tf.constant(images()))[1].numpy(), first)
    with pytest.raises(ValueError, match="mask_kind must be one of"):
        build("context", mask_kind="circles")


def test_mask_kind_round_trips_through_the_config(tmp_path):
    model = build("pixel", captions=False, mask_kind="rectangle")
    model.save(tmp_path / "pixel.keras")
    assert keras.models.load_model(tmp_path / "pixel.keras").mask_kind == "rectangle"


def test_vector_models_name_what_they_read():
    model = ContextEncoder(image_size=16, widths=(8, 16), caption_dim=3, precision="float32")
    with pytest.raises(ValueError, match=r"expects caption vectors \(batch, 3\)"):
        model.caption_vectors(np.zeros((2, 5), np.float32), 2)
    with pytest.raises(TypeError, match="no caption encoder; got caption strings"):
        model.caption_vectors(tf.constant(["a", "b"]), 2)


@pytest.mark.slow
def test_fill_options_go_to_the_models_that_have_them():
    context = build("context")
    assert context.inpainter() is not None
    with pytest.raises(ValueError, match="takes no fill options; got restarts"):
        context.inpainter(restarts=2)
    assert build("dcgan").inpainter(restarts=2, steps=1).restarts == 2
    filled = build("pixel").inpainter(fill="mode").inpaint(images(2), np.repeat(centre_mask(16, 8)[None], 2, 0))
    assert filled.shape == (2, 16, 16, 3)


def test_a_fit_stopped_by_a_check_frees_its_data_iterator_at_once(plain_of_kind):
    """Without this, Keras' data iterator lived on in reference cycles until a garbage collection,
    and a collection long after waited up to 52 s on tf.data's autotuning thread."""
    from tensorflow.python.data.ops.iterator_ops import OwnedIterator

    def live_iterators():
        return {id(thing) for thing in gc.get_objects() if isinstance(thing, OwnedIterator)}

    model = plain_of_kind("context")
    pixels = ((images() + 1) * 127.5).astype(np.float32)  # floats in [0, 255]: the range check stops fit
    collecting = gc.isenabled()
    gc.disable()
    try:
        before = live_iterators()
        with pytest.raises(ValueError, match=r"stopped at epoch 1, batch 1 .* takes float images in \[-1, 1\]"):
            model.fit(pixels, batch_size=2, epochs=1, verbose=0)
        assert live_iterators() <= before
    finally:
        if collecting:
            gc.enable()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["context", "pixel", "fourier"])
def test_images_outside_minus_one_to_one_or_nan_known_pixels_are_named(plain_of_kind, model_of_kind, kind):
    # A FourierInpainter reads no captions: the documented-forms test's model is the same one, and
    # its fit of float arrays is traced already.
    model = model_of_kind(kind) if kind == "fourier" else plain_of_kind(kind)
    masks = np.repeat(centre_mask(16, 8)[None], 4, 0)
    pixels = ((images() + 1) * 127.5).astype(np.float32)  # floats in [0, 255]
    with pytest.raises(ValueError, match=r"takes images in \[-1, 1\]; got values in \[0"):
        model.inpaint(pixels, masks)
    broken = images()
    broken[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite values in the known pixels"):
        model.inpaint(broken, masks)
    hole_only = images()
    hole_only[:, 8, 8] = np.nan  # inside the hole: ignored
    assert np.isfinite(model.inpaint(hole_only, masks)).all()
    with pytest.raises(ValueError, match=r"takes float images in \[-1, 1\]"):
        model.fit(pixels, batch_size=2, epochs=1, verbose=0)
