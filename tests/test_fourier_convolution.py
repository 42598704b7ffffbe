"""`kinpaint.layers.FourierConvolution`: LaMa's fast Fourier convolution."""

import os

import keras
import numpy as np
import pytest

from kinpaint.layers import FourierConvolution
from layer_checks import (check_fit_step, check_gradients_reach_every_weight, check_saved_model_round_trip,
                          random_data, run_keras_layer_test)

CASES = [
    ({"filters": 8}, (2, 8, 8, 3), (2, 8, 8, 8)),
    ({"filters": 6, "global_ratio": 0.75, "kernel_size": 5, "activation": None}, (2, 6, 9, 4), (2, 6, 9, 6)),
    ({"filters": 4, "global_ratio": 1.0}, (2, 5, 7, 2), (2, 5, 7, 4)),
    ({"filters": 4, "global_ratio": 0.0, "kernel_size": (3, 1)}, (2, 4, 4, 2), (2, 4, 4, 4)),
]
IDS = [f"fourier-{i}" for i in range(len(CASES))]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES, ids=IDS)
@pytest.mark.slow
def test_fourier_keras_layer_checks(kwargs, input_shape, output_shape):
    run_keras_layer_test(FourierConvolution, kwargs, input_shape, output_shape)


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES, ids=IDS)
@pytest.mark.slow
def test_fourier_shapes_gradients_fit_and_keras_round_trip(tmp_path, kwargs, input_shape, output_shape):
    layer = FourierConvolution(**kwargs)
    assert tuple(layer(random_data(input_shape)).shape) == output_shape
    assert tuple(layer.compute_output_shape(input_shape)) == output_shape
    check_gradients_reach_every_weight(layer, input_shape)
    check_fit_step(FourierConvolution(**kwargs), input_shape)
    check_saved_model_round_trip(FourierConvolution(**kwargs), input_shape, tmp_path)


def test_fourier_config_round_trip():
    layer = FourierConvolution(12, global_ratio=0.25, kernel_size=5, activation="gelu", name="ffc")
    config = layer.get_config()
    assert {k: config[k] for k in ("filters", "global_ratio", "kernel_size")} == \
        {"filters": 12, "global_ratio": 0.25, "kernel_size": (5, 5)}
    clone = FourierConvolution.from_config(config)
    assert clone.get_config() == config
    assert (clone.local_filters, clone.global_filters) == (9, 3)
    with pytest.raises(ValueError, match="global_ratio"):
        FourierConvolution(4, global_ratio=1.5)


def test_fourier_keras_file_reloads_after_importing_kinpaint(tmp_path):
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, FourierConvolution(8, name="ffc")(inputs))
    data = random_data((2, 12, 10, 3))
    before = model.predict(data, verbose=0)
    path = os.path.join(tmp_path, "ffc.keras")
    model.save(path)
    import kinpaint  # noqa: F401  (what a user does before loading: registers the layers)

    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.get_layer("ffc"), FourierConvolution)
    np.testing.assert_allclose(reloaded.predict(data, verbose=0), before, rtol=1e-5, atol=1e-6)


def one_corner_changed(layer, size=16, channels=3):
    """How much each output position moves when only input pixel (0, 0) changes."""
    data = random_data((1, size, size, channels))
    base = keras.ops.convert_to_numpy(layer(data))
    data[0, 0, 0, :] += 1.0
    return np.abs(keras.ops.convert_to_numpy(layer(data)) - base).max(axis=-1)[0]  # (H, W)


def test_one_corner_pixel_changes_the_opposite_corner():
    moved = one_corner_changed(FourierConvolution(8, activation=None))
    assert moved[-1, -1] > 1e-4
    assert (moved > 1e-6).all()  # every position sees the whole image
    # A plain 3x3 convolution, and the layer with no global branch, reach only a 2x2 corner.
    for local_only in (keras.layers.Conv2D(8, 3, padding="same"), FourierConvolution(8, global_ratio=0.0)):
        moved = one_corner_changed(local_only)
        assert moved[-1, -1] == 0.0
        assert (moved[2:, :] == 0).all() and (moved[:, 2:] == 0).all()


def test_fourier_weights_do_not_depend_on_image_size():
    small, large = FourierConvolution(8), FourierConvolution(8)
    small.build((None, 64, 64, 3))
    large.build((None, 256, 256, 3))
    assert small.count_params() == large.count_params()
    # 3x3 local conv (3 -> 4), 1x1 reduce (3 -> 2), spectral dense (4 -> 4), 1x1 expand (2 -> 4)
    assert small.count_params() == (27 * 4 + 4) + (3 * 2 + 2) + (4 * 4 + 4) + (2 * 4 + 4)


def test_a_layer_trained_on_16x16_runs_on_32x32():
    layer = FourierConvolution(4)
    inputs = keras.Input((None, None, 3))
    outputs = keras.layers.GlobalAveragePooling2D()(layer(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(random_data((4, 16, 16, 3)), np.ones((4, 4), np.float32), epochs=1, verbose=0)
    output = layer(random_data((2, 32, 32, 3), seed=1))
    assert tuple(output.shape) == (2, 32, 32, 4)
    assert np.isfinite(keras.ops.convert_to_numpy(output)).all()
    assert tuple(layer(random_data((1, 31, 17, 3))).shape) == (1, 31, 17, 4)  # odd sizes too


def test_mixed_bfloat16_runs_the_fourier_unit_in_float32():
    data = random_data((2, 16, 16, 3))
    exact = FourierConvolution(8, activation=None)
    expected = keras.ops.convert_to_numpy(exact(data))
    mixed = FourierConvolution(8, activation=None, dtype="mixed_bfloat16")
    mixed.build(data.shape)
    mixed.set_weights(exact.get_weights())
    assert all(weight.dtype == "float32" for weight in mixed.weights)
    assert mixed.spectral.compute_dtype == "float32"
    output = mixed(data)
    assert output.dtype == "bfloat16"
    output = keras.ops.convert_to_numpy(keras.ops.cast(output, "float32"))
    # bfloat16 keeps 8 significant bits: a few roundings of ~0.4 % each.
    np.testing.assert_allclose(output, expected, rtol=0.05, atol=0.05 * np.abs(expected).max())
    # The global half, the FFT path, agrees as closely as the local half.
    global_error = np.abs(output[..., 4:] - expected[..., 4:]).max() / np.abs(expected[..., 4:]).max()
    assert global_error < 0.02
