"""Loading saved kinpaint models."""

import os


def load_model(path, compile=True, safe_mode=True):
    """Load a `.keras` file saved from any kinpaint model or layer.

    Same as `keras.models.load_model` after `import kinpaint`, with a clear error for a
    missing file; it also works inside the command line, whose start-up skips the
    registration (see `kinpaint_command`). A file that carries a TensorFlow graph (a
    `HubTextEncoder`'s SavedModel) is a program: it loads only with `safe_mode=False`, for
    files you trust, and loading never fetches anything (`kinpaint.model_trust`).

    A damaged or hostile file (cut, not a zip, a zip bomb, a config of absurd sizes or naming
    an unknown class, weights of other shapes) raises a `ValueError` that names it;
    `kinpaint.model_archive` checks the archive before Keras reads it.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a folder; give the .keras file inside it")
    import zipfile

    import keras

    import kinpaint.layers  # noqa: F401  (registers the layers)
    from kinpaint.model_kinds import model_kinds

    for kind in model_kinds():  # registers the models through their kinds, so kinpaint.models can load presets
        kind.load_class()

    if not zipfile.is_zipfile(path):
        size = os.path.getsize(path)
        raise ValueError(f"{path} is not a .keras file ({'empty' if size == 0 else f'{size} bytes, not a zip archive'}"
                         "; a cut or half-written file looks like this)")
    from kinpaint.model_archive import ModelArchiveError, check_model_archive
    from kinpaint.model_trust import UntrustedModelError

    try:
        check_model_archive(path)
        return keras.models.load_model(path, compile=compile, safe_mode=safe_mode)
    except ModelArchiveError:
        raise  # names the file already
    except UntrustedModelError as error:
        raise UntrustedModelError(f"{path}: {error}") from None
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, RuntimeError) as error:  # RuntimeError: h5py, a damaged weights file
        raise ValueError(f"{path} is a damaged .keras file ({type(error).__name__}: {_one_line(error)})") from error
    except (ValueError, TypeError) as error:  # Keras': an unknown class, weights of other shapes, a bad setting
        raise ValueError(f"{path} does not load as a kinpaint model ({type(error).__name__}: {_one_line(error)})") \
            from error


def _one_line(error, limit=400):
    """An error's message on one line, cut at `limit` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
