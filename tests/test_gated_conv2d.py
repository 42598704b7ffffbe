"""`kinpaint.layers.GatedConv2D`: DeepFill v2's gated convolution."""

import os

import keras
import numpy as np
import pytest

from kinpaint.layers import GatedConv2D
from layer_checks import (check_fit_step, check_gradients_reach_every_weight, check_saved_model_round_trip,
                          random_data, run_keras_layer_test)

CASES = [
    ({"filters": 8, "kernel_size": 3}, (2, 8, 8, 3), (2, 8, 8, 8)),
    ({"filters": 4, "kernel_size": 3, "strides": 2}, (2, 9, 8, 3), (2, 5, 4, 4)),
    ({"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "valid"}, (2, 9, 8, 3), (2, 5, 4, 4)),
    ({"filters": 5, "kernel_size": (5, 3), "strides": (1, 2), "padding": "valid", "activation": None},
     (2, 7, 7, 2), (2, 3, 3, 5)),
]
IDS = [f"gated-{i}" for i in range(len(CASES))]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES, ids=IDS)
@pytest.mark.slow
def test_gated_conv_keras_layer_checks(kwargs, input_shape, output_shape):
    run_keras_layer_test(GatedConv2D, kwargs, input_shape, output_shape)


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES, ids=IDS)
@pytest.mark.slow
def test_gated_conv_shapes_follow_strides_and_dilation(tmp_path, kwargs, input_shape, output_shape):
    layer = GatedConv2D(**kwargs)
    assert tuple(layer(random_data(input_shape)).shape) == output_shape
    assert tuple(layer.compute_output_shape(input_shape)) == output_shape
    conv_kwargs = {"padding": "same", **{k: v for k, v in kwargs.items() if k not in ("filters", "activation")}}
    conv = keras.layers.Conv2D(kwargs["filters"], **conv_kwargs)
    assert tuple(conv(random_data(input_shape)).shape) == output_shape  # the same as a plain Conv2D
    check_gradients_reach_every_weight(layer, input_shape)
    check_fit_step(GatedConv2D(**kwargs), input_shape)
    check_saved_model_round_trip(GatedConv2D(**kwargs), input_shape, tmp_path)


def test_gated_conv_output_is_the_features_times_a_gate_in_0_1():
    layer = GatedConv2D(6, 3)
    data = random_data((2, 8, 8, 3))
    features, gate = (keras.ops.convert_to_numpy(part) for part in layer.features_and_gate(data))
    assert features.shape == gate.shape == (2, 8, 8, 6)
    assert (gate > 0).all() and (gate < 1).all()
    assert gate.std() > 0.01  # a learned gate per channel and position, not a constant
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(data)), features * gate, rtol=1e-6)
    kernel, bias = layer.convolution.get_weights()
    features_only = keras.layers.Conv2D(6, 3, padding="same", activation="elu")
    features_only.build(data.shape)
    features_only.set_weights([kernel[..., :6], bias[:6]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(features_only(data)), features, rtol=1e-5, atol=1e-6)
    assert (np.abs(keras.ops.convert_to_numpy(layer(data))) <= np.abs(features) + 1e-6).all()


def test_gated_conv_config_round_trip():
    layer = GatedConv2D(4, [3, 5], strides=2, padding="VALID", activation="relu", name="gated")
    config = layer.get_config()
    assert {k: config[k] for k in ("filters", "kernel_size", "strides", "dilation_rate", "padding")} == \
        {"filters": 4, "kernel_size": (3, 5), "strides": (2, 2), "dilation_rate": (1, 1), "padding": "valid"}
    assert GatedConv2D.from_config(config).get_config() == config
    assert GatedConv2D(4, 3).get_config()["activation"] == "elu"


def test_gated_conv_keras_file_reloads_after_importing_kinpaint(tmp_path):
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, GatedConv2D(4, 3, dilation_rate=2, name="gated")(inputs))
    data = random_data((2, 12, 10, 3))
    before = model.predict(data, verbose=0)
    path = os.path.join(tmp_path, "gated.keras")
    model.save(path)
    import kinpaint  # noqa: F401  (what a user does before loading: registers the layers)

    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.get_layer("gated"), GatedConv2D)
    np.testing.assert_allclose(reloaded.predict(data, verbose=0), before, rtol=1e-5, atol=1e-6)


def test_a_gated_conv_trained_on_16x16_runs_on_32x32():
    layer = GatedConv2D(4, 3, strides=2)
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(layer(inputs)))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(random_data((4, 16, 16, 3)), np.ones((4, 4), np.float32), epochs=1, verbose=0)
    assert tuple(layer(random_data((2, 32, 32, 3))).shape) == (2, 16, 16, 4)


def test_gated_conv_mixed_bfloat16_matches_float32():
    data = random_data((2, 8, 8, 3))
    exact = GatedConv2D(4, 3)
    expected = keras.ops.convert_to_numpy(exact(data))
    mixed = GatedConv2D(4, 3, dtype="mixed_bfloat16")
    mixed.build(data.shape)
    mixed.set_weights(exact.get_weights())
    assert all(weight.dtype == "float32" for weight in mixed.weights)
    output = mixed(data)
    assert output.dtype == "bfloat16"
    output = keras.ops.convert_to_numpy(keras.ops.cast(output, "float32"))
    np.testing.assert_allclose(output, expected, rtol=0.05, atol=0.05 * np.abs(expected).max())
