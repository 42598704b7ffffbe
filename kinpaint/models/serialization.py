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
    """Set the model `target`'s weights to `source`'s, all but a discriminator's: that
    training-only network is left out of `source` and starts fresh in `target`."""
    mine, theirs = _fill_weights(target), _fill_weights(source)
    if len(mine) != len(theirs):
        raise ValueError(f"{type(source).__name__} and {type(target).__name__} have different networks: "
                         f"{len(theirs)} and {len(mine)} weights")
    for weight, value in zip(mine, theirs):
        weight.assign(value)


def _fill_weights(model):
    critic = getattr(model, "discriminator", None)
    skipped = {id(weight) for weight in critic.weights} if critic is not None else set()
    return [weight for weight in model.weights if id(weight) not in skipped]
