import keras
import tensorflow as tf
from keras import ops

from kinpaint.layers.arguments import positive_pair


@keras.saving.register_keras_serializable(package="kinpaint")
class FourierConvolution(keras.layers.Layer):
    """A fast Fourier convolution: every output position sees the whole image (LaMa).

    Suvorov et al. (2022), "Resolution-robust Large Mask Inpainting with Fourier
    Convolutions" (LaMa), after Chi et al. (2020), "Fast Fourier Convolution" (FFC).
    Two branches read the whole input:

    - the *local* branch, a `kernel_size` convolution, gives the first
      `filters - round(global_ratio * filters)` output channels;
    - the *global* branch, LaMa's spectral transform, gives the last
      `round(global_ratio * filters)`: a 1x1 convolution with ReLU halves the channels
      (`reduced`, no batch norm); the Fourier unit takes the real 2-D FFT over H and W
      (`tf.signal.rfft2d`, channels-first, in float32, "ortho" normalised as LaMa's
      `fft_norm="ortho"`, so spectra keep their scale at any resolution), concatenates
      real and imaginary parts on channels, applies a 1x1 convolution (a `Dense` over
      channels) with ReLU, splits back to complex and inverts with `tf.signal.irfft2d`
      at the input's H and W; as in LaMa's `SpectralTransform`, a last 1x1 convolution
      maps `reduced + fourier_unit(reduced)` to the output channels.

    The two parts are concatenated, local first, as LaMa's `ConcatTupleLayer` joins
    `(x_l, x_g)`, and `activation` is applied to both. Unlike an FFC block, which splits
    its *input* channels into local and global too, this layer takes one tensor and feeds
    all of it to both branches, so the first layer already sees the whole image.

    No weight depends on H or W: the same layer runs on 64x64 and 256x256 images.
    Under a mixed policy the Fourier unit (FFT, its `Dense`, inverse FFT) runs in
    float32 and its result is cast back to the compute dtype; the convolutions run in
    the compute dtype. Needs the TensorFlow backend.

    Args:
        filters: output channels.
        global_ratio: fraction of `filters` from the global branch, in [0, 1].
        kernel_size: side (or `(height, width)`) of the local convolution.
        activation: applied to the concatenated output; `None` is linear.

    Input shape:
        `(batch, H, W, C)`, any H and W.

    Output shape:
        `(batch, H, W, filters)`.

    Example:

    >>> layer = FourierConvolution(16, global_ratio=0.5)
    >>> layer(keras.ops.ones((2, 64, 64, 3))).shape.as_list()
    [2, 64, 64, 16]
    >>> layer(keras.ops.ones((2, 32, 48, 3))).shape.as_list()
    [2, 32, 48, 16]
    """

    def __init__(self, filters, global_ratio=0.5, kernel_size=3, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.global_ratio = float(global_ratio)
        if self.filters < 1 or not 0.0 <= self.global_ratio <= 1.0:
            raise ValueError(f"FourierConvolution needs filters >= 1 and 0 <= global_ratio <= 1, "
                             f"got {filters} and {global_ratio}")
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.activation = keras.activations.get(activation)
        self.global_filters = int(round(self.global_ratio * self.filters))
        self.local_filters = self.filters - self.global_filters
        self.local = (
            keras.layers.Conv2D(self.local_filters, self.kernel_size, padding="same", name="local",
                                dtype=self.dtype_policy)
            if self.local_filters else None
        )
        if self.global_filters:
            self.reduced_filters = max(1, self.global_filters // 2)
            self.reduce = keras.layers.Conv2D(self.reduced_filters, 1, activation="relu", name="reduce",
                                              dtype=self.dtype_policy)
            # The frequency-domain 1x1 convolution always computes in float32.
            self.spectral = keras.layers.Dense(2 * self.reduced_filters, activation="relu", name="spectral",
                                               dtype="float32")
            self.expand = keras.layers.Conv2D(self.global_filters, 1, name="expand", dtype=self.dtype_policy)
        else:
            self.reduced_filters, self.reduce, self.spectral, self.expand = 0, None, None, None

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"FourierConvolution takes (batch, H, W, C) with known C, got {input_shape}")
        if self.local is not None:
            self.local.build(input_shape)
        if self.global_filters:
            self.reduce.build(input_shape)
            reduced_shape = (*input_shape[:-1], self.reduced_filters)
            self.spectral.build((input_shape[0], None, None, 2 * self.reduced_filters))
            self.expand.build(reduced_shape)

    def fourier_unit(self, reduced):
        """`irfft2d(relu(dense([re, im] of rfft2d(reduced))))`, in float32, ortho-normalised."""
        size = tf.shape(reduced)[1:3]
        scale = tf.sqrt(tf.cast(size[0] * size[1], tf.float32))
        channels_first = tf.transpose(tf.cast(reduced, tf.float32), (0, 3, 1, 2))  # (B, C, H, W)
        spectrum = tf.signal.rfft2d(channels_first / scale)  # (B, C, H, W // 2 + 1), complex64
        spectrum = tf.transpose(spectrum, (0, 2, 3, 1))  # (B, H, W // 2 + 1, C)
        parts = self.spectral(tf.concat([tf.math.real(spectrum), tf.math.imag(spectrum)], axis=-1))  # (.., 2C)
        real, imaginary = tf.split(parts, 2, axis=-1)
        spectrum = tf.transpose(tf.complex(real, imaginary), (0, 3, 1, 2))  # (B, C, H, W // 2 + 1)
        spatial = tf.signal.irfft2d(spectrum, fft_length=size) * scale  # (B, C, H, W)
        spatial = tf.transpose(spatial, (0, 2, 3, 1))  # (B, H, W, C)
        return tf.ensure_shape(ops.cast(spatial, reduced.dtype), reduced.shape)

    def call(self, inputs):
        parts = []
        if self.local is not None:
            parts.append(self.local(inputs))  # (B, H, W, local_filters)
        if self.global_filters:
            reduced = self.reduce(inputs)  # (B, H, W, reduced_filters)
            parts.append(self.expand(reduced + self.fourier_unit(reduced)))  # (B, H, W, global_filters)
        outputs = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "global_ratio": self.global_ratio,
            "kernel_size": self.kernel_size,
            "activation": keras.activations.serialize(self.activation),
        }
