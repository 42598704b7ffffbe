import keras
from keras import ops

from kinpaint.layers.arguments import positive_pair


@keras.saving.register_keras_serializable(package="kinpaint")
class GatedConv2D(keras.layers.Layer):
    """A gated convolution: `activation(conv_f(x)) * sigmoid(conv_g(x))` (DeepFill v2).

    Yu et al. (2019), "Free-Form Image Inpainting with Gated Convolution": where a
    partial convolution uses a fixed rule to tell holes from known pixels, this layer
    learns a soft gate in (0, 1) per output channel and position. `conv_f` and `conv_g`
    are one convolution with `2 * filters` outputs, split in half (features first), as in
    the authors' `gen_conv`; that is the same as two convolutions with the same settings.

    Args:
        filters: output channels.
        kernel_size: side, or `(height, width)`, of the convolution.
        strides: an int or a pair; cannot exceed 1 together with `dilation_rate`.
        dilation_rate: an int or a pair (DeepFill's dilated middle layers use 2, 4, 8, 16).
        padding: `"same"` or `"valid"`, as in `keras.layers.Conv2D`.
        activation: of the features, `"elu"` as in DeepFill v2 (the authors' `gen_conv`
            default); `None` is linear. The gate is always a sigmoid.

    Input shape:
        `(batch, H, W, C)`.

    Output shape:
        `(batch, H', W', filters)`, H' and W' as for `keras.layers.Conv2D` with the same
        `kernel_size`, `strides`, `dilation_rate` and `padding`.

    Example:

    >>> layer = GatedConv2D(8, 3, strides=2)
    >>> layer(keras.ops.ones((2, 16, 16, 4))).shape.as_list()
    [2, 8, 8, 8]
    """

    def __init__(self, filters, kernel_size, strides=1, dilation_rate=1, padding="same", activation="elu",
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.strides = positive_pair(strides, "strides")
        self.dilation_rate = positive_pair(dilation_rate, "dilation_rate")
        self.padding = str(padding).lower()
        self.activation = keras.activations.get(activation)
        self.convolution = keras.layers.Conv2D(
            2 * self.filters, self.kernel_size, strides=self.strides, dilation_rate=self.dilation_rate,
            padding=self.padding, name="convolution", dtype=self.dtype_policy,
        )

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"GatedConv2D takes (batch, H, W, C), got {input_shape}")
        self.convolution.build(input_shape)

    def features_and_gate(self, inputs):
        """`(activation(conv_f(x)), sigmoid(conv_g(x)))`, each `(batch, H', W', filters)`."""
        if not self.built:  # called directly, before the layer itself
            self.build(tuple(inputs.shape))
        features, gate = ops.split(self.convolution(inputs), 2, axis=-1)  # 2 x (B, H', W', filters)
        return self.activation(features), ops.sigmoid(gate)

    def call(self, inputs):
        features, gate = self.features_and_gate(inputs)
        return features * gate

    def compute_output_shape(self, input_shape):
        return (*self.convolution.compute_output_shape(input_shape)[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "dilation_rate": self.dilation_rate,
            "padding": self.padding,
            "activation": keras.activations.serialize(self.activation),
        }
