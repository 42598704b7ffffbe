import keras

from kinpaint.inpainting import composite


@keras.saving.register_keras_serializable(package="kinpaint")
class Composite(keras.layers.Layer):
    """Keep the known pixels, take the hole from the prediction.

    `masks * images + (1 - masks) * fills`, with known pixels (mask 1) copied exactly.

    Input shape:
        `[images (batch, H, W, 3), masks (batch, H, W, 1), fills (batch, H, W, 3)]`.

    Output shape:
        `(batch, H, W, 3)`.
    """

    def call(self, inputs):
        images, masks, fills = inputs
        return composite(images, masks, fills)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
