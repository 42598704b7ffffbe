"""Which model files may run code. A TensorFlow graph (a SavedModel) is a program, so a `.keras`
file that carries one, or names one to fetch, is code: Keras and TensorFlow's own rule.

Loading never fetches anything. A model whose layers load a TensorFlow graph loads only when
the caller trusts the file: `safe_mode=False` given to `kinpaint.load_model` or
`keras.models.load_model`, the commands' `--trust-model-code`, or `trusting_model_code()` around
a library call that loads one (docs/reliability.md#what-is-trusted)."""

import contextlib

TRUST_FLAG = "--trust-model-code"
TRUST_HELP = "load a model file that carries a TensorFlow graph; only for files you trust"


class UntrustedModelError(ValueError):
    """A model file would run a TensorFlow graph, or fetch one, and the caller did not trust it."""


def trusts_model_code():
    """Whether the object being deserialized now may run a graph: Keras' safe mode is off
    (`safe_mode=False` to the loading function, `keras.config.enable_unsafe_deserialization()`
    or `trusting_model_code()`). Unset counts as safe, as for Keras' own `Lambda` layer."""
    from keras.src.saving import serialization_lib  # the state Keras' Lambda and TFSMLayer read

    return serialization_lib.in_safe_mode() is False


@contextlib.contextmanager
def trusting_model_code(trust=True):
    """Within it, model files that carry a TensorFlow graph load in this thread, as with
    `safe_mode=False` (and Keras' `Lambda` layers too): only around files you trust.
    `trust=False` changes nothing, so a command can pass its flag straight through."""
    if not trust:
        yield
        return
    from keras.src.saving import serialization_lib

    with serialization_lib.SafeModeScope(False):
        yield


def is_remote(handle):
    """Whether `handle` names something to fetch (`https://...`, `gs://...`) rather than a local path."""
    return "://" in str(handle)


def refuse_untrusted_graph(layer, handle):
    """Raise `UntrustedModelError` unless the file being loaded is trusted; `layer` names the
    file's layer, `handle` the graph it would load."""
    if trusts_model_code():
        return
    where = ("a remote handle: loading never fetches anything, and with trust it uses only the copy inside "
             "the file" if is_remote(handle) else "a TensorFlow SavedModel (the copy inside the file, or this folder)")
    raise UntrustedModelError(
        f"this model file's layer {layer!r} loads {handle!r}, {where}. A SavedModel is a program that runs when "
        f"the model loads and fills, so it is refused by default. If you trust the file, load it with "
        f"kinpaint.load_model(path, safe_mode=False) (or keras.models.load_model(..., safe_mode=False)), "
        f"or pass {TRUST_FLAG} to the command"
    )
