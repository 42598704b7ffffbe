"""Loading saved kinpaint models."""

import os


def load_model(path, compile=True):
    """Load a `.keras` file saved from any kinpaint model or layer.

    Same as `keras.models.load_model`, after importing kinpaint's models and layers so
    Keras knows their classes (`import kinpaint` alone imports them lazily).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    import keras

    import kinpaint.layers  # noqa: F401  (registers the classes)
    import kinpaint.models  # noqa: F401

    return keras.models.load_model(path, compile=compile)
