import keras



@keras.saving.register_keras_serializable(package="kinpaint")
class CaptionMap(keras.layers.Layer):
    """A caption vector as an image-sized map: the outer product of a projection with itself.

    Seed 004 fed the 64x64 outer product of its 64-d caption vector to the last layers of
    a 64x64 network. The vector is first projected to `size` values, so any caption size
    meets any image size.

    Args:
        size: side of the square map (the image side).

    Input shape:
        `(batch, D)`.

    Output shape:
        `(batch, size, size, 1)`.

    Example:

    >>> CaptionMap(8)(keras.ops.ones((2, 384))).shape.as_list()
    [2, 8, 8, 1]
    """

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.projection = keras.layers.Dense(self.size, name="projection", dtype=self.dtype_policy)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"CaptionMap takes caption vectors (batch, D), got shape {tuple(input_shape)}")
        self.projection.build(input_shape)

    def call(self, caption):
        vector = self.projection(caption)  # (B, size)
        return (vector[:, :, None] * vector[:, None, :])[..., None]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, 1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}
