import keras
from keras import ops

from kinpaint.layers.two_inputs import split_two_shapes


@keras.saving.register_keras_serializable(package="kinpaint")
class CaptionFiLM(keras.layers.Layer):
    """Scale and shift every channel of a feature map by amounts a caption vector decides.

    Feature-wise linear modulation (FiLM, Perez et al. 2018): a dense layer maps the caption
    vector to a scale `s` and a shift `t` per channel, and the output is
    `features * (1 + s) + t`, the same at every position. The dense layer starts at zero,
    so the layer starts as the identity and a network it is added to starts as it was.

    Input shape:
        `[(batch, H, W, C), (batch, D)]`.

    Output shape:
        `(batch, H, W, C)`.

    Example:

    >>> layer = CaptionFiLM()
    >>> features = keras.ops.ones((2, 4, 4, 8))
    >>> out = layer([features, keras.ops.ones((2, 16))])
    >>> out.shape.as_list(), bool(keras.ops.all(out == features))
    ([2, 4, 4, 8], True)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.modulation = None  # the dense layer, once the channels are known

    def build(self, input_shape):
        features_shape, caption_shape = split_two_shapes(input_shape, "CaptionFiLM", ("features", "caption"))
        if len(features_shape) != 4 or features_shape[-1] is None or len(caption_shape) != 2:
            raise ValueError(f"CaptionFiLM takes [(batch, H, W, C), (batch, D)] with known C, got {features_shape} "
                             f"and {caption_shape}")
        self.modulation = keras.layers.Dense(2 * features_shape[-1], kernel_initializer="zeros", name="modulation",
                                             dtype=self.dtype_policy)
        self.modulation.build(caption_shape)

    def call(self, inputs):
        features, caption = inputs
        scale, shift = ops.split(ops.cast(self.modulation(caption), features.dtype), 2, axis=-1)  # (B, C) each
        return features * (1.0 + scale[:, None, None, :]) + shift[:, None, None, :]

    def compute_output_shape(self, input_shape):
        features_shape, _ = split_two_shapes(input_shape, "CaptionFiLM", ("features", "caption"))
        return features_shape
