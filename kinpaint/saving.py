"""Loading saved kinpaint models."""

import os


def load_model(path, compile=True):
    """Load a `.keras` file saved from any kinpaint model or layer.

    Same as `keras.models.load_model` after `import kinpaint`, with a clear error for a
    missing file; it also works inside the command line, whose start-up skips the
    registration (see `kinpaint_command`).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    import keras

    import kinpaint.layers  # noqa: F401  (registers the classes)
    import kinpaint.models  # noqa: F401

    return keras.models.load_model(path, compile=compile)
