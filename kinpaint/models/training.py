"""Pieces every kinpaint training step shares: replica-correct losses, precision, captions."""

import keras
import tensorflow as tf
from keras import ops

PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def resolve_precision(precision="auto"):
    """The Keras dtype policy name for `precision`.

    `"auto"` picks `mixed_bfloat16` where the hardware computes bfloat16 natively (a CPU
    with AVX512-BF16 or AMX, a GPU of compute capability 8.0 or newer), else `float32`.
    bfloat16 needs no loss scaling; float16 is not offered for that reason.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return precision
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
        return "mixed_bfloat16" if tuple(capability) >= (8, 0) else "float32"
    return "mixed_bfloat16" if _cpu_has_bfloat16() else "float32"


def _cpu_has_bfloat16():
    try:
        with open("/proc/cpuinfo") as file:
            flags = file.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def replica_mean(per_example):
    """`(mean over the local batch / replicas, the mean to log)`.

    Keras sums gradients over replicas, so a loss whose gradients are applied must be
    divided by the replica count to give the same step as one replica on the global batch.
    """
    mean = ops.mean(ops.cast(per_example, "float32"))
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return mean / replicas, mean


def binary_cross_entropy(logits, target):
    """Per-example `(B,)` sigmoid cross-entropy of logits `(B, 1)` against a constant target."""
    logits = ops.cast(ops.reshape(logits, (-1,)), "float32")
    return ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True)


RECONSTRUCTIONS = ("l2", "l1", "log_l2")
LOG_L2_FLOOR = 1e-4  # squared error on the [-1, 1] scale; about 46 dB PSNR


def hole_error(images, fills, masks, kind="l2"):
    """Per-example `(B,)` error over the hole's values: mean squared (`l2`), mean absolute
    (`l1`), or `log_l2`, the log of the mean squared error plus `LOG_L2_FLOOR`: what a mean
    of per-image PSNRs rewards, so a faint picture's error counts as much as a busy one's."""
    difference = ops.cast(fills, "float32") - ops.cast(images, "float32")
    error = ops.abs(difference) if kind == "l1" else ops.square(difference)
    hole = 1.0 - ops.cast(masks, "float32")
    channels = ops.cast(ops.shape(images)[-1], "float32")
    mean = ops.sum(error * hole, axis=(1, 2, 3)) / ops.maximum(ops.sum(hole, axis=(1, 2, 3)) * channels, 1.0)
    return ops.log(mean + LOG_L2_FLOOR) if kind == "log_l2" else mean


def check_finite(name, value):
    """Stop training with an error naming the loss when it becomes NaN or infinite."""
    return tf.debugging.assert_all_finite(value, f"{name} is NaN or infinite: training diverged "
                                          "(lower the learning rate, or check the data for NaN pixels)")


def build_optimizer(optimizer, variables):
    """Build `optimizer` now, so `.keras` files save and restore its state."""
    optimizer = keras.optimizers.get(optimizer)
    optimizer.build(variables)
    return optimizer


def default_adam(learning_rate=2e-4):
    """Adam as in DCGAN and seed 003: beta_1 0.5, gradients clipped to norm 1."""
    return keras.optimizers.Adam(learning_rate, beta_1=0.5, clipnorm=1.0)


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
