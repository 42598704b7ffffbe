"""Shared layer checks. Keras' strongest single check, `run_layer_test`, lives in the
private `keras.src.testing`; it is wrapped here so a Keras upgrade touches one file."""

import os

import keras
import numpy as np
import tensorflow as tf


def run_keras_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape, **kwargs):
    """Config round trip, symbolic and eager calls, a training step and mixed precision."""
    from keras.src.testing import TestCase

    # Its training check feeds inputs through tf.data.from_generator, which cannot take
    # a list of inputs; `check_fit_step` covers training for those layers.
    kwargs.setdefault("run_training_check", not isinstance(input_shape, list))
    TestCase("run_layer_test").run_layer_test(
        layer_cls, init_kwargs=init_kwargs, input_shape=input_shape,
        expected_output_shape=expected_output_shape, **kwargs,
    )


def as_inputs(shapes):
    """Keras Input tensors for one shape or a list of shapes (batch left out)."""
    if isinstance(shapes, list):
        return [keras.Input(shape[1:]) for shape in shapes]
    return keras.Input(shapes[1:])


def random_data(shapes, seed=0):
    rng = np.random.default_rng(seed)
    if isinstance(shapes, list):
        return [rng.normal(size=shape).astype(np.float32) for shape in shapes]
    return rng.normal(size=shapes).astype(np.float32)


def check_saved_model_round_trip(layer, shapes, tmp_path):
    """The layer inside a functional model saves to .keras and reloads with equal outputs."""
    inputs = as_inputs(shapes)
    model = keras.Model(inputs, layer(inputs))
    data = random_data(shapes)
    before = model.predict(data, verbose=0)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(data, verbose=0), before, rtol=1e-5, atol=1e-6)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def check_gradients_reach_every_weight(layer, shapes):
    data = [tf.constant(d) for d in random_data(shapes)] if isinstance(shapes, list) else tf.constant(random_data(shapes))
    with tf.GradientTape() as tape:
        output = layer(data, training=True)
        loss = tf.reduce_sum(tf.square(output))
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert layer.trainable_weights
    for weight, gradient in zip(layer.trainable_weights, gradients):
        assert gradient is not None, f"no gradient for {weight.path}"
        assert float(tf.reduce_sum(tf.abs(gradient))) > 0, f"zero gradient for {weight.path}"


def check_fit_step(layer, shapes):
    """One `model.fit` step through the layer changes every trainable weight of it."""
    inputs = as_inputs(shapes)
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(layer(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = [keras.ops.convert_to_numpy(weight) for weight in layer.trainable_weights]
    batch = shapes[0][0] if isinstance(shapes, list) else shapes[0]
    model.fit(random_data(shapes), np.ones((batch, 1), np.float32), epochs=1, verbose=0)
    for weight, old in zip(layer.trainable_weights, before):
        assert not np.array_equal(keras.ops.convert_to_numpy(weight), old), f"fit did not change {weight.path}"


def fit_save_and_reload(model, data, path):
    """Fit `model` on `data`, save it to `path` (.keras) and load it back; the reloaded
    model's config must equal the original's (compared as JSON)."""
    import json

    model.fit(data, verbose=0)
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert json.loads(json.dumps(reloaded.get_config())) == json.loads(json.dumps(model.get_config()))
    return reloaded


def check_resumes_like_the_original(model, reloaded, data):
    """One more `fit` on `data` moves a reloaded model exactly as it moves the original."""
    model.fit(data, verbose=0)
    reloaded.fit(data, verbose=0)
    for a, b in zip(model.weights, reloaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, err_msg=a.path)
