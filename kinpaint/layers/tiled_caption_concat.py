import keras
from keras import ops

from kinpaint.layers.two_inputs import split_two_shapes


@keras.saving.register_keras_serializable(package="kinpaint")
class TiledCaptionConcat(keras.layers.Layer):
    """Project a caption vector, tile it over a feature map and concatenate (seed 003).

    Args:
        units: features of the projection (256 in seed 003).
        activation: of the projection; `None` is linear, as in the seed.

    Input shape:
        `[(batch, H, W, C), (batch, D)]`.

    Output shape:
        `(batch, H, W, C + units)`.

    Example:

    >>> layer = TiledCaptionConcat(units=8)
    >>> layer([keras.ops.ones((2, 4, 4, 256)), keras.ops.ones((2, 384))]).shape.as_list()
    [2, 4, 4, 264]
    """

    def __init__(self, units=256, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.projection = keras.layers.Dense(self.units, activation=self.activation, name="projection", dtype=self.dtype_policy)

    def build(self, input_shape):
        features_shape, caption_shape = split_two_shapes(input_shape, "TiledCaptionConcat", ("features", "caption"))
        if len(features_shape) != 4 or len(caption_shape) != 2:
            raise ValueError(
                f"TiledCaptionConcat takes [(batch, H, W, C), (batch, D)], got {features_shape} and {caption_shape}"
            )
        self.projection.build(caption_shape)

    def call(self, inputs):
        features, caption = inputs
        projected = self.projection(caption)  # (B, units)
        shape = ops.shape(features)
        tiled = ops.broadcast_to(projected[:, None, None, :], (shape[0], shape[1], shape[2], self.units))
        return ops.concatenate([features, ops.cast(tiled, features.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        features_shape, _ = split_two_shapes(input_shape, "TiledCaptionConcat", ("features", "caption"))
        channels = None if features_shape[-1] is None else features_shape[-1] + self.units
        return (*features_shape[:-1], channels)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
        }

