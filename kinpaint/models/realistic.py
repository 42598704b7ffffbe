"""A fill that looks real: a learned fill's structure with texture copied from the picture itself
(`PatchTexture` guided by a `FourierInpainter`), the model behind `pretrained("photos-realistic")`."""

import keras
import numpy as np
import tensorflow as tf

from kinpaint.inpainting import composite
from kinpaint.layers.patch_texture import PatchTexture
from kinpaint.models.base import InpaintingModel


@keras.saving.register_keras_serializable(package="kinpaint")
class RealisticInpainter(InpaintingModel):
    """Fills holes of pictures of any size with real texture: a learned fill (`fill_model`)
    sets the structure and colours, and `texture` (a `PatchTexture`) re-synthesises the hole
    from patches of the picture's own known pixels that follow it.

    Args:
        fill_model: the guide, a `FourierInpainter` (any model that `fills_any_size`), or a
            preset's name (`"photos"`, the default): a name is saved as the name, so the shipped
            preset (a config, `weights/photos-realistic.json`) carries no second copy of its
            weights; a `.keras` file saved from the model still holds the guide's weights too
            (about 4.4 MB for `photos`), and loading it builds the guide from its name first.
        texture: a `PatchTexture` or its config (None: the defaults).
        seed: replaces `texture`'s seed when given: another seed, another plausible fill.

    Call: `{"image": (B, H, W, 3) in [-1, 1], "mask": (B, H, W, 1)}` -> the composite. It reads
    no captions and does not train (`fit` is refused).

    Example:

    >>> import numpy as np
    >>> from kinpaint.models import FourierInpainter
    >>> guide = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    >>> model = RealisticInpainter(guide, PatchTexture(patch_size=3, coarsest_side=8))
    >>> masks = np.ones((1, 21, 19, 1), "float32"); masks[:, 6:14, 5:12] = 0
    >>> model.inpaint(np.zeros((1, 21, 19, 3), "float32"), masks).shape
    (1, 21, 19, 3)
    """

    fills_any_size = True
    inpaint_batch_size = 4

    def __init__(self, fill_model="photos", texture=None, seed=None, **kwargs):
        for name in ("caption_encoder", "caption_dim"):
            if kwargs.pop(name, None) is not None:
                raise ValueError(f"RealisticInpainter reads no captions; {name} must be None")
        self.fill_model_name = fill_model if isinstance(fill_model, str) else None
        fill_model = _resolve_fill_model(fill_model)
        kwargs.setdefault("image_size", fill_model.image_size)
        super().__init__(**kwargs)
        self.fill_model = fill_model
        if texture is None:
            texture = PatchTexture()
        elif isinstance(texture, dict):
            texture = keras.saving.deserialize_keras_object(texture)
        if seed is not None:
            texture = PatchTexture.from_config({**texture.get_config(), "seed": int(seed)})
        self.texture = texture
        self.trackers = {}
        self.built = True

    def _step_counter(self):
        return tf.constant(0, tf.int64)

    def call(self, inputs, training=False):
        images, masks, _ = self._unpack(inputs)
        guide = self.fill_model({"image": images, "mask": masks}, training=False)
        return composite(images, masks, self.texture([images, masks, guide]))

    def _fill(self, images, masks, captions, batch_size):
        """The guide's fills (its own `_fill`: padding, two scales), then the texture, batch by batch."""
        guide = self.fill_model._fill(images, masks, None, batch_size)
        filled = []
        for start in range(0, len(images), batch_size):
            part = slice(start, start + batch_size)
            textured = self.texture([images[part], masks[part], guide[part]])
            filled.append(np.asarray(composite(images[part], masks[part], textured)))
        return np.concatenate(filled) if filled else images.copy()

    def fit(self, *args, **kwargs):
        raise ValueError("a RealisticInpainter does not train: its guide is a trained model (fine-tune that) and its "
                         "texture has no weights")

    def get_config(self):
        config = super().get_config()
        for name in ("caption_encoder", "caption_dim", "caption_dropout", "caption_noise"):
            config.pop(name, None)
        fill_model = self.fill_model_name or keras.saving.serialize_keras_object(self.fill_model)
        return {**config, "fill_model": fill_model, "texture": keras.saving.serialize_keras_object(self.texture)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fill_model"), dict):
            config["fill_model"] = keras.saving.deserialize_keras_object(config["fill_model"])
        return cls(**config)


def _resolve_fill_model(fill_model):
    """The guide model from a preset's name, a config or a model; it must fill any size."""
    if isinstance(fill_model, str):
        from kinpaint.pretrained_models import pretrained

        fill_model = pretrained(fill_model)
    elif isinstance(fill_model, dict):
        fill_model = keras.saving.deserialize_keras_object(fill_model)
    if not getattr(fill_model, "fills_any_size", False) or not hasattr(fill_model, "_fill"):
        raise ValueError(f"fill_model must be a kinpaint model that fills pictures of any size (a FourierInpainter), "
                         f"got {type(fill_model).__name__}")
    if getattr(fill_model, "conditioned", False):
        raise ValueError("fill_model reads captions; RealisticInpainter fills without them, give a captionless model")
    return fill_model
