import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kinpaint")
class ChannelWiseDense(keras.layers.Layer):
    """A separate fully connected map per channel, from all positions to all positions.

    The bottleneck of Pathak et al. (2016), "Context Encoders": every output position of
    channel c sees every input position of channel c, and channels never mix. A dense
    layer over `H*W*C` values would need `(H*W*C)**2` weights; this needs
    `C * H*W * H'*W'` (plus `H'*W'*C` biases).

    Args:
        output_size: `(H', W')` or an int for a square; `None` keeps `(H, W)`.
        dropout: dropout rate on the input, during training.
        use_bias: add a bias per output position and channel.
        kernel_initializer, bias_initializer: Keras initializers.

    Input shape:
        `(batch, H, W, C)`.

    Output shape:
        `(batch, H', W', C)`.

    Example:

    >>> layer = ChannelWiseDense()
    >>> layer(keras.ops.ones((2, 4, 4, 256))).shape.as_list()
    [2, 4, 4, 256]
    """

    def __init__(self, output_size=None, dropout=0.0, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if output_size is not None and not isinstance(output_size, (list, tuple)):
            output_size = (int(output_size), int(output_size))
        self.output_size = None if output_size is None else tuple(int(v) for v in output_size)
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy) if self.dropout else None

    def build(self, input_shape):
        if len(input_shape) != 4 or None in input_shape[1:]:
            raise ValueError(f"ChannelWiseDense needs a fixed (batch, H, W, C) input, got {input_shape}")
        height, width, channels = input_shape[1:]
        out_height, out_width = self.output_size or (height, width)
        self.kernel = self.add_weight(
            name="kernel", shape=(channels, height * width, out_height * out_width),
            initializer=self.kernel_initializer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(out_height * out_width, channels), initializer=self.bias_initializer)
            if self.use_bias else None
        )

    def call(self, inputs, training=None):
        if self.dropout_layer is not None:
            inputs = self.dropout_layer(inputs, training=training)
        batch = ops.shape(inputs)[0]
        height, width, channels = inputs.shape[1:]
        out_height, out_width = self.output_size or (height, width)
        positions = ops.reshape(inputs, (batch, height * width, channels))  # (B, P, C)
        mapped = ops.einsum("bpc,cpq->bqc", positions, self.kernel)  # (B, Q, C)
        if self.bias is not None:
            mapped = mapped + self.bias
        return ops.reshape(mapped, (batch, out_height, out_width, channels))

    def compute_output_shape(self, input_shape):
        height, width = self.output_size or input_shape[1:3]
        return (input_shape[0], height, width, input_shape[3])

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
