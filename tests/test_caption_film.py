"""`kinpaint.layers.CaptionFiLM`: a caption's scale and shift of every channel."""

import keras
import numpy as np
import pytest

from kinpaint.layers import CaptionFiLM
from layer_checks import (check_fit_step, check_gradients_reach_every_weight, check_saved_model_round_trip,
                          random_data, run_keras_layer_test)

SHAPES = [(2, 5, 7, 6), (2, 9)]


def moved(layer, seed=1):
    """`layer` with its modulation moved off the identity start."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(size=weight.shape).astype(np.float32))
    return layer


def test_keras_layer_checks():
    run_keras_layer_test(CaptionFiLM, {}, SHAPES, (2, 5, 7, 6))


def test_it_starts_as_the_identity_and_then_scales_and_shifts_each_channel_per_caption():
    features, caption = random_data(SHAPES)
    layer = CaptionFiLM()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer([features, caption])), features)
    moved(layer)
    kernel, bias = (weight.numpy() for weight in layer.modulation.weights)
    scale, shift = np.split(caption @ kernel + bias, 2, axis=-1)
    expected = features * (1 + scale[:, None, None]) + shift[:, None, None]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer([features, caption])), expected, rtol=1e-5,
                               atol=1e-5)


@pytest.mark.slow
def test_gradients_fit_and_keras_file_round_trip(tmp_path):
    layer = CaptionFiLM()
    layer.build(SHAPES)
    check_gradients_reach_every_weight(moved(layer), SHAPES)
    check_fit_step(CaptionFiLM(), SHAPES)
    layer = CaptionFiLM(name="film")
    layer.build(SHAPES)
    check_saved_model_round_trip(moved(layer), SHAPES, tmp_path)


@pytest.mark.parametrize("shapes", [[(2, 4, 4), (2, 3)], [(2, 4, 4, 3), (2, 3, 1)], [(2, 4, 4, None), (2, 3)]])
def test_bad_shapes_are_named(shapes):
    with pytest.raises(ValueError, match="CaptionFiLM takes"):
        CaptionFiLM().build(shapes)
    with pytest.raises(ValueError, match="CaptionFiLM takes two inputs"):
        CaptionFiLM().build((2, 4, 4, 3))
