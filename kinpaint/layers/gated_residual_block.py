import keras
from keras import ops

from kinpaint.layers.two_inputs import split_two_shapes


@keras.saving.register_keras_serializable(package="kinpaint")
class GatedResidualBlock(keras.layers.Layer):
    """A PixelCNN-style gated residual block, without causal masks (seed 004).

    `x + up(tanh(a) * sigmoid(b))` where `[a, b] = conv_kxk(relu(down(x)))`, with `down`
    and `up` 1x1 convolutions (van den Oord et al. 2016, e.g. 64 -> 32 -> 64 features).
    With `conditional=True` a vector `h` is projected and added to both gates,
    `tanh(a + V_a h) * sigmoid(b + V_b h)`, as in conditional PixelCNN, so a caption can
    enter every block.

    Args:
        bottleneck: features inside the block (32 in seed 004).
        kernel_size: side of the gated convolution.
        conditional: expect `[features, condition]` as input.

    Input shape:
        `(batch, H, W, C)`, or `[(batch, H, W, C), (batch, D)]` when conditional.

    Output shape:
        `(batch, H, W, C)`.

    Example:

    >>> block = GatedResidualBlock(bottleneck=32, conditional=True)
    >>> block([keras.ops.ones((2, 8, 8, 64)), keras.ops.ones((2, 16))]).shape.as_list()
    [2, 8, 8, 64]
    """

    def __init__(self, bottleneck=32, kernel_size=3, conditional=False, **kwargs):
        super().__init__(**kwargs)
        self.bottleneck = int(bottleneck)
        self.kernel_size = int(kernel_size)
        self.conditional = bool(conditional)
        self.down = keras.layers.Conv2D(self.bottleneck, 1, activation="relu", name="down", dtype=self.dtype_policy)
        self.gates = keras.layers.Conv2D(2 * self.bottleneck, self.kernel_size, padding="same", name="gates", dtype=self.dtype_policy)
        self.condition_projection = (
            keras.layers.Dense(2 * self.bottleneck, use_bias=False, name="condition_projection", dtype=self.dtype_policy)
            if self.conditional else None
        )
        self.up = None

    def build(self, input_shape):
        features_shape, condition_shape = self._split_shapes(input_shape)
        self.up = keras.layers.Conv2D(features_shape[-1], 1, name="up", dtype=self.dtype_policy)
        self.down.build(features_shape)
        inner = (*features_shape[:-1], self.bottleneck)
        self.gates.build(inner)
        self.up.build(inner)
        if self.conditional:
            self.condition_projection.build(condition_shape)

    def _split_shapes(self, input_shape):
        if self.conditional:
            return split_two_shapes(input_shape, "a conditional GatedResidualBlock", ("features", "condition"))
        return tuple(input_shape), None

    def call(self, inputs):
        if self.conditional:
            features, condition = inputs
        else:
            features, condition = inputs, None
        gates = self.gates(self.down(features))  # (B, H, W, 2 * bottleneck)
        if condition is not None:
            gates = gates + self.condition_projection(condition)[:, None, None, :]
        content, gate = ops.split(gates, 2, axis=-1)
        return features + self.up(ops.tanh(content) * ops.sigmoid(gate))

    def compute_output_shape(self, input_shape):
        return self._split_shapes(input_shape)[0]

    def get_config(self):
        return {
            **super().get_config(),
            "bottleneck": self.bottleneck,
            "kernel_size": self.kernel_size,
            "conditional": self.conditional,
        }
