import os
import shutil
import tempfile
import weakref

import keras
import tensorflow as tf
from keras import ops

from kinpaint.captions.caption_encoder import CaptionEncoder
from kinpaint.model_trust import is_remote, refuse_untrusted_graph


@keras.saving.register_keras_serializable(package="kinpaint")
class HubTextEncoder(CaptionEncoder):
    """A TensorFlow Hub text-embedding model as a Keras 3 layer, frozen.

    `hub.KerasLayer` is a tf-keras layer that Keras 3 models reject; this layer instead
    `hub.load()`s the SavedModel on first use and calls it on the `tf.string` batch.
    Saving to `.keras` copies the module into the file, so the model reloads on a
    machine without the original directory or network. The module is a program: a file
    holding this layer loads only when trusted (`safe_mode=False`, `--trust-model-code`),
    and loading never fetches a hub URL (docs/reliability.md#what-is-trusted).

    Args:
        handle: a local SavedModel directory, or a hub URL (fetched and cached by
            `tensorflow_hub` on first use; needs network access that time only).
        output_dim: the embedding size; found by embedding one caption when `None`.
        signature: call `module.signatures[signature]` instead of the module itself.
        output_key: the output to take when the model returns a dict.

    Input shape:
        `(batch,)` strings.

    Output shape:
        `(batch, output_dim)`.

    Example:

    >>> encoder = HubTextEncoder("/models/universal-sentence-encoder")  # doctest: +SKIP
    >>> encoder(tf.constant(["a red square"])).shape  # doctest: +SKIP
    TensorShape([1, 512])
    """

    def __init__(self, handle, output_dim=None, signature=None, output_key=None, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self.handle = str(handle)
        self.output_dim = None if output_dim is None else int(output_dim)
        self.signature = signature
        self.output_key = output_key
        self._module = None
        self._module_dir = None
        self._may_fetch = True  # False once built from a file's config: loading never fetches

    def _load(self):
        if self._module is None:
            import tensorflow_hub as hub

            with tf.init_scope():
                if self._module_dir is None:
                    is_url = is_remote(self.handle)
                    if not is_url and not os.path.isdir(self.handle):
                        raise FileNotFoundError(f"HubTextEncoder: no SavedModel directory at {self.handle!r}")
                    if is_url and not self._may_fetch:
                        raise FileNotFoundError(
                            f"HubTextEncoder {self.name!r}: its model file names {self.handle!r} and has no copy "
                            "of the module to use (a file saved by kinpaint carries one, and its output_dim), and "
                            "loading never fetches anything: download it yourself (tensorflow_hub.resolve) and "
                            "build HubTextEncoder(the local folder)"
                        )
                    self._module_dir = hub.resolve(self.handle) if is_url else self.handle
                self._module = hub.load(self._module_dir)
        return self._module

    def build(self, input_shape):
        if self.output_dim is None:
            self.output_dim = int(self._embed(tf.constant(["a"])).shape[-1])

    def _embed(self, captions):
        module = self._load()
        function = module.signatures[self.signature] if self.signature else module
        outputs = function(captions)
        if isinstance(outputs, dict):
            if self.output_key is None and len(outputs) != 1:
                raise ValueError(
                    f"HubTextEncoder: {self.handle} returns {sorted(outputs)}; choose one with output_key"
                )
            outputs = outputs[self.output_key or next(iter(outputs))]
        return outputs

    def encode(self, captions):
        return ops.cast(self._embed(captions), self.compute_dtype)

    def save_assets(self, dir_path):
        self._load()
        shutil.copytree(self._module_dir, os.path.join(dir_path, "module"))

    def load_assets(self, dir_path):
        # Keras deletes dir_path after loading, so the module moves to a folder of our own.
        own = tempfile.mkdtemp(prefix="kinpaint-hub-")
        weakref.finalize(self, shutil.rmtree, own, True)
        self._module_dir = os.path.join(own, "module")
        shutil.copytree(os.path.join(dir_path, "module"), self._module_dir)
        self._module = None
        self._load()

    @classmethod
    def from_config(cls, config):
        refuse_untrusted_graph(config.get("name", cls.__name__), config.get("handle"))
        layer = cls(**config)
        layer._may_fetch = False
        return layer

    def get_config(self):
        return {
            **super().get_config(),
            "handle": self.handle,
            "output_dim": self.output_dim,
            "signature": self.signature,
            "output_key": self.output_key,
        }
