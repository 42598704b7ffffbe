import keras
import numpy as np
import pytest

import tensorflow as tf

from kinpaint.layers import (CaptionMap, ChannelWiseDense, Composite, FusedBatchNormalization, GatedResidualBlock,
                             TiledCaptionConcat)
from layer_checks import (check_fit_step, check_gradients_reach_every_weight, check_saved_model_round_trip,
                          random_data, run_keras_layer_test)

CASES = [
    (ChannelWiseDense, {}, (2, 4, 4, 8), (2, 4, 4, 8)),
    (ChannelWiseDense, {"output_size": (2, 3), "dropout": 0.5}, (2, 4, 5, 3), (2, 2, 3, 3)),
    (GatedResidualBlock, {"bottleneck": 4}, (2, 6, 6, 8), (2, 6, 6, 8)),
    (GatedResidualBlock, {"bottleneck": 4, "kernel_size": 5, "conditional": True}, [(2, 5, 7, 6), (2, 3)], (2, 5, 7, 6)),
    (TiledCaptionConcat, {"units": 3}, [(2, 4, 4, 8), (2, 5)], (2, 4, 4, 11)),
    (TiledCaptionConcat, {"units": 2, "activation": "relu"}, [(3, 2, 6, 1), (3, 7)], (3, 2, 6, 3)),
    (FusedBatchNormalization, {"synchronized": True}, (2, 4, 4, 8), (2, 4, 4, 8)),
    (FusedBatchNormalization, {"center": False, "momentum": 0.5}, (3, 2, 5, 3), (3, 2, 5, 3)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, *_) in enumerate(CASES)]


@pytest.mark.parametrize("layer_cls, kwargs, input_shape, output_shape", CASES, ids=IDS)
@pytest.mark.slow
def test_keras_layer_checks(layer_cls, kwargs, input_shape, output_shape):
    run_keras_layer_test(layer_cls, kwargs, input_shape, output_shape)


@pytest.mark.parametrize("layer_cls, kwargs, input_shape, output_shape", CASES, ids=IDS)
@pytest.mark.slow
def test_output_shape_round_trip_and_gradients(tmp_path, layer_cls, kwargs, input_shape, output_shape):
    layer = layer_cls(**kwargs)
    output = layer(random_data(input_shape))
    assert tuple(output.shape) == output_shape
    assert tuple(layer.compute_output_shape(input_shape)) == output_shape
    check_gradients_reach_every_weight(layer, input_shape)
    check_fit_step(layer_cls(**kwargs), input_shape)
    check_saved_model_round_trip(layer_cls(**kwargs), input_shape, tmp_path)


def test_channel_wise_dense_has_far_fewer_weights_than_dense():
    layer = ChannelWiseDense()
    layer.build((None, 4, 4, 256))
    positions, channels = 16, 256
    assert layer.count_params() == channels * positions * positions + positions * channels
    dense = keras.layers.Dense(positions * channels)
    dense.build((None, positions * channels))
    assert layer.count_params() * 200 < dense.count_params()


def test_channel_wise_dense_never_mixes_channels():
    layer = ChannelWiseDense(output_size=3)
    data = np.zeros((1, 4, 4, 5), np.float32)
    base = layer(data).numpy()
    data[0, 1, 2, 3] = 1.0  # one position of channel 3
    changed = np.abs(layer(data).numpy() - base).max(axis=(0, 1, 2)) > 0
    assert list(changed) == [False, False, False, True, False]


def test_gated_block_is_the_identity_when_its_output_weights_are_zero():
    block = GatedResidualBlock(bottleneck=4)
    data = random_data((2, 6, 6, 8))
    block(data)
    block.up.kernel.assign(np.zeros(block.up.kernel.shape))
    block.up.bias.assign(np.zeros(block.up.bias.shape))
    np.testing.assert_allclose(block(data), data, atol=1e-6)


def test_gated_block_condition_changes_every_position():
    block = GatedResidualBlock(bottleneck=4, conditional=True)
    features, condition = random_data([(1, 5, 5, 8), (1, 3)])
    first = block([features, condition]).numpy()
    second = block([features, condition + 1.0]).numpy()
    assert (np.abs(first - second).max(axis=-1) > 0).all()
    with pytest.raises(ValueError, match=r"\[features, condition\]"):
        GatedResidualBlock(conditional=True)(features)


def test_tiled_caption_is_the_same_projection_everywhere():
    layer = TiledCaptionConcat(units=4)
    features, caption = random_data([(2, 3, 5, 6), (2, 7)])
    output = layer([features, caption]).numpy()
    np.testing.assert_array_equal(output[..., :6], features)
    projected = layer.projection(caption).numpy()
    np.testing.assert_allclose(output[..., 6:], np.broadcast_to(projected[:, None, None, :], (2, 3, 5, 4)), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[features, caption\]"):
        TiledCaptionConcat()(features)


def test_composite_layer_keeps_known_pixels(tmp_path):
    images, fills = random_data([(2, 4, 4, 3), (2, 4, 4, 3)])
    masks = np.ones((2, 4, 4, 1), np.float32)
    masks[:, 1:3, 1:3] = 0
    output = Composite()([images, masks, fills]).numpy()
    known = np.broadcast_to(masks == 1, images.shape)
    np.testing.assert_array_equal(output[known], images[known])
    np.testing.assert_array_equal(output[~known], fills[~known])
    check_saved_model_round_trip(Composite(), [(2, 4, 4, 3), (2, 4, 4, 1), (2, 4, 4, 3)], tmp_path)


@pytest.mark.parametrize("kwargs", [{}, {"scale": False, "momentum": 0.5}, {"center": False, "epsilon": 1e-2}])
def test_fused_batch_norm_matches_keras_batch_norm(kwargs):
    data = tf.constant(random_data((8, 5, 6, 7)) * 3.0 + 2.0)
    keras_layer, fused = keras.layers.BatchNormalization(**kwargs), FusedBatchNormalization(**kwargs)
    keras_layer.build(data.shape)
    fused.build(data.shape)
    fused.set_weights([weight + 0.1 * index for index, weight in enumerate(keras_layer.get_weights())])
    keras_layer.set_weights(fused.get_weights())
    start = fused.moving_mean.numpy().copy()
    for training in (True, False):
        outputs, input_gradients = [], []
        for layer in (keras_layer, fused):
            with tf.GradientTape() as tape:
                tape.watch(data)
                output = layer(data, training=training)
                loss = tf.reduce_sum(tf.square(output) * tf.range(7.0))
            outputs.append(output.numpy())
            input_gradients.append(tape.gradient(loss, data).numpy())
        np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-5)
        np.testing.assert_allclose(input_gradients[1], input_gradients[0], atol=1e-4)
        for expected, actual in zip(keras_layer.get_weights(), fused.get_weights()):
            np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)  # moving statistics updated alike
    assert not np.allclose(fused.moving_mean.numpy(), start)  # training moved them


def test_fused_batch_norm_falls_back_where_the_kernel_does_not_apply():
    data = random_data((4, 6, 3))  # 3-D: Keras' path
    np.testing.assert_allclose(FusedBatchNormalization()(data, training=True),
                               keras.layers.BatchNormalization()(data, training=True), atol=1e-5)
    layer = FusedBatchNormalization(synchronized=True)
    assert layer._fused_applies(tf.zeros((2, 4, 4, 3)), True, None)
    assert not layer._fused_applies(tf.zeros((2, 4, 4, 3), tf.float64), True, None)
    assert not FusedBatchNormalization(axis=1)._fused_applies(tf.zeros((2, 4, 4, 3)), True, None)


def test_caption_map_layer_round_trips(tmp_path):
    layer = CaptionMap(6)
    assert layer(np.ones((2, 5), np.float32)).shape == (2, 6, 6, 1)
    check_saved_model_round_trip(CaptionMap(6), (2, 5), tmp_path)
    with pytest.raises(ValueError, match="caption vectors"):
        CaptionMap(6)(np.ones((2, 3, 5), np.float32))
