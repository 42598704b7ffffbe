"""Saving models with sub-networks, optional layers and several optimizers to `.keras` files."""

import keras


def serialize_optional(obj):
    return None if obj is None else keras.saving.serialize_keras_object(obj)


def deserialize_optional(config):
    return None if config is None else keras.saving.deserialize_keras_object(config)


def compile_config(model, optimizers, **settings):
    """`get_compile_config` of a model compiled with the named optimizers: they and `settings`."""
    if getattr(model, optimizers[0], None) is None:
        return {}
    return {**{name: keras.saving.serialize_keras_object(getattr(model, name)) for name in optimizers}, **settings}


def compile_from(model, config, optimizers):
    """`compile_from_config`: rebuild the named optimizers (their state loads next) and compile."""
    if not config:
        return
    config = dict(config)
    for name in optimizers:
        config[name] = keras.saving.deserialize_keras_object(config[name])
    model.compile(**config)


def transfer_weights(source, target):
    """Set the model `target`'s weights to `source`'s. Where only one of them has a
    discriminator (a training-only network), the generators' weights are copied and the
    discriminator starts fresh or is left out."""
    if len(source.weights) == len(target.weights):
        target.set_weights(source.get_weights())
    else:
        target.generator.set_weights(source.generator.get_weights())
