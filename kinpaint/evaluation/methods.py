"""The methods an evaluation measures: a `Method` from a baseline name, a `.keras` file, a
shipped model or an `(name, inpainter)` pair, the resize path (`MODEL@SIDE`), and what a
method reads under each caption condition."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Method:
    """A method under evaluation: its table name, what fills holes, whether it reads captions,
    and the model behind it (for likelihoods and caption vectors), if any."""

    name: str
    inpainter: object
    reads_captions: bool = False
    model: object = None


def resolve_method(method, search=None):
    """A `Method` from a baseline name, a model (a preset's name such as `photos`, or a `.keras`
    path, read by `kinpaint.pretrained_models`: docs/pretrained.md), an `(name, inpainter)`
    pair or a `Method`. `MODEL@S` (a model, then `@` and a side) fills through the resize path
    instead: the picture resized to S x S, filled, and the fill resized back into the hole."""
    from kinpaint.baselines import BASELINES, baseline
    from kinpaint.pretrained_models import PRETRAINED, model_label, names_model, resolve_model, split_side

    if isinstance(method, Method):
        return method
    if isinstance(method, tuple):
        name, inpainter = method
        return Method(name, inpainter, bool(getattr(inpainter, "conditioned", False)),
                      inpainter if hasattr(inpainter, "caption_encoder") else None)
    if method in BASELINES:
        return Method(method, baseline(method))
    spec, side = split_side(method)
    if names_model(spec):
        model, name = resolve_model(spec), model_label(spec)
        options = dict(search or {}) if hasattr(model, "semantic_inpainter") else {}
        inpainter = model.inpainter(**options)
        if side is None:
            return Method(name, inpainter, model.conditioned, model)
        resized = ResizedFill(inpainter, side)
        return Method(f"{name}@{side}", resized, model.conditioned, ResizedModel(model, side))
    raise ValueError(f"unknown method {method!r}: give a baseline ({', '.join(BASELINES)}), a preset "
                     f"({', '.join(sorted(PRETRAINED))}) or a .keras file saved by kinpaint, "
                     "optionally followed by @SIDE")


class ResizedFill:
    """Fills pictures of any size through a model's own size: resize to `size` x `size`,
    fill, resize the fill back and paste it into the hole (`inpaint_full_resolution`)."""

    def __init__(self, inpainter, size):
        self.inpainter, self.size = inpainter, int(size)

    def inpaint(self, images, masks, captions=None):
        """`(B, H, W, 3)` in [-1, 1] and `(B, H, W, 1)` masks -> `(B, H, W, 3)` in [-1, 1]."""
        from kinpaint.images import to_model_range, to_uint8
        from kinpaint.pictures import inpaint_full_resolution

        pixels = to_uint8(np.asarray(images))
        filled = [inpaint_full_resolution(self.inpainter, picture, mask, self.size,
                                          None if captions is None else captions[index])
                  for index, (picture, mask) in enumerate(zip(pixels, np.asarray(masks)))]
        return to_model_range(np.stack(filled))


class ResizedModel:
    """What the evaluation reads of a model filled through the resize path: its captions
    setup, any picture size, and no likelihood (the model's is for its own size only)."""

    fills_any_size = True

    def __init__(self, model, image_size):
        self.model, self.image_size = model, image_size

    def __getattr__(self, name):
        if name == "nll":
            raise AttributeError(name)
        return getattr(self.model, name)


def condition_captions(method, condition, texts, vectors):
    """What `method` reads in a caption `condition` (`"true"`, `"other"` or `"none"`): its texts
    or cached vectors, rolled by one image for `"other"`, or None."""
    if not method.reads_captions or condition == "none":
        return None
    reads_text = method.model is None or method.model.caption_encoder is not None
    source = texts if reads_text else vectors
    if source is None:
        what = "caption texts" if reads_text else "cached caption vectors (pass embeddings=NAME / --embeddings)"
        raise ValueError(f"{method.name} reads captions but the data gives no {what}")
    source = np.asarray(source, dtype=object if reads_text else np.float32)
    return source if condition == "true" else np.roll(source, -1, axis=0)  # image i reads image i+1's
