"""Per-example losses every kinpaint training step shares, reduced so replicas agree."""

import tensorflow as tf
from keras import ops

LOG_L2_FLOOR = 1e-4  # squared error on the [-1, 1] scale; about 46 dB PSNR


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


DIVERGED = "is NaN or infinite: training diverged"


class TrainingDiverged(ValueError):
    """A loss became NaN or infinite during `fit`; the message names the loss, the epoch and the step.

    A `ValueError` because the cure is in what was given: a lower learning rate, or data
    without NaN pixels.
    """


def check_finite(name, value):
    """Stop training with an error naming the loss when it becomes NaN or infinite (an op to run
    before the step's update; `InpaintingModel.fit` turns its error into `TrainingDiverged`)."""
    return tf.debugging.assert_all_finite(value, f"{name} {DIVERGED} (lower the learning rate, or check the data "
                                          "for NaN pixels)")
