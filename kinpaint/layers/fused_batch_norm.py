import keras
import tensorflow as tf

# TensorFlow's fused kernel raises epsilon to at least this.
_FUSED_MIN_EPSILON = 1.001e-5


@keras.saving.register_keras_serializable(package="kinpaint")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` over the channels of images, run by TensorFlow's fused kernel.

    Same arguments, weights and results as Keras' layer (to float rounding), but one
    `FusedBatchNormV3` op and its one gradient op replace the dozen element-wise ops,
    float32 casts included, that Keras 3 emits; under `mixed_bfloat16` on a CPU that
    made kinpaint's context-encoder training step about 5-10% faster
    (`benchmarks/context_encoder_throughput.py`). Keras' own path is taken where the
    fused kernel does not apply: inputs that are not 4-D channels-last, masks, batch
    renormalization, float64, and a `synchronized` layer under a strategy with more
    than one replica (the fused kernel sees only its replica's batch).

    Input shape: `(batch, H, W, C)`. Output shape: the same.

    Example:

    >>> layer = FusedBatchNormalization()
    >>> tuple(layer(keras.ops.ones((2, 4, 4, 8)), training=True).shape)
    (2, 4, 4, 8)
    """

    def _fused_applies(self, inputs, training, mask):
        if mask is not None or self.renorm or len(inputs.shape) != 4 or self.axis not in (-1, 3):
            return False
        if inputs.dtype not in (tf.float16, tf.bfloat16, tf.float32) or self.epsilon < _FUSED_MIN_EPSILON:
            return False
        if training and self.synchronized and tf.distribute.get_strategy().num_replicas_in_sync > 1:
            return False
        return True

    def call(self, inputs, training=None, mask=None):
        inputs = tf.convert_to_tensor(inputs)
        if not self._fused_applies(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        scale = tf.cast(self.gamma, tf.float32) if self.scale else tf.ones((channels,), tf.float32)
        offset = tf.cast(self.beta, tf.float32) if self.center else tf.zeros((channels,), tf.float32)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, scale, offset, epsilon=self.epsilon, is_training=True)
            # The kernel returns the unbiased variance; Keras keeps the biased one.
            count = tf.cast(tf.size(inputs) // channels, tf.float32)
            variance = variance * (count - 1.0) / tf.maximum(count, 1.0)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs, scale, offset, mean=tf.cast(self.moving_mean, tf.float32),
                variance=tf.cast(self.moving_variance, tf.float32), epsilon=self.epsilon, is_training=False)
        return tf.cast(outputs, self.compute_dtype)
