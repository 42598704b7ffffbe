"""Models that ship inside the package, loaded offline: `kinpaint.pretrained("photos")`.

A preset is named the same way everywhere (docs/pretrained.md): its bare name, `photos`, in
Python (`kinpaint.pretrained`, `FourierInpainter.from_preset`) and for every command's
model (`--model`, `--init`, `kinpaint export`, `kinpaint evaluate --methods`), with `@SIDE`
where a command fills at one side. `resolve_model` reads them all."""

import os
from pathlib import Path

WEIGHTS_FOLDER = Path(__file__).parent / "weights"
DEFAULT_PRETRAINED = "photos"
PRETRAINED = {
    "photos": ("photos.keras", "FourierInpainter trained on the photo corpus's training photographs; "
                               "fills holes of any shape in pictures of any size (docs/pretrained.md)"),
    "photos-realistic": ("photos-realistic.json", "photos' fill with texture copied from the picture's own known "
                                                  "pixels (RealisticInpainter): looks real, a little further from "
                                                  "the truth (docs/pretrained.md)"),
}


def pretrained(name=None):
    """The shipped model `name`, ready to `inpaint(images, masks)` at any size; with no name,
    `{name: description}` of the models that ship. `FourierInpainter.from_preset(name)` gives
    the same model, checked to be of that class."""
    if name is None:
        return {key: text for key, (file, text) in PRETRAINED.items() if (WEIGHTS_FOLDER / file).exists()}
    if name not in PRETRAINED:
        raise ValueError(f"no pretrained model {name!r}; kinpaint ships {sorted(PRETRAINED)}")
    path = WEIGHTS_FOLDER / PRETRAINED[name][0]
    if not path.exists():
        raise FileNotFoundError(f"the pretrained model {name!r} is not in this installation ({path} is missing)")
    if path.suffix == ".json":  # a model built on another preset's weights: its config alone
        return _from_config_file(path)
    from kinpaint.saving import load_model

    return load_model(path, compile=False)


def _from_config_file(path):
    """The model a preset's `.json` file describes (`keras.saving.serialize_keras_object`); its
    class's kinpaint module is imported by name (registering it), as `kinpaint.saving` does."""
    import importlib
    import json

    import keras

    with open(path, encoding="utf-8") as file:
        config = json.load(file)
    if not str(config.get("module", "")).startswith("kinpaint."):
        raise ValueError(f"{path}: a preset's config names a kinpaint class, not {config.get('module')!r}")
    importlib.import_module(config["module"])
    return keras.saving.deserialize_keras_object(config)


def inference_copy(model, **settings):
    """A fresh, uncompiled copy of `model` with its weights: what ships (no optimizer state).
    `settings` replace entries of its config that do not change the weights, such as a
    `FourierInpainter`'s `coarse_side`. A training-only discriminator is left out: its
    settings are set to their defaults (its kind's `training_options`, `kinpaint.model_kinds`)."""
    from kinpaint.model_kinds import kind_of_model
    from kinpaint.models.serialization import transfer_weights

    config = model.get_config()
    unknown = sorted(set(settings) - set(config))
    if unknown:
        raise ValueError(f"{type(model).__name__} has no setting {', '.join(unknown)}")
    kind = kind_of_model(model)
    untrained = dict(kind.training_options) if kind is not None else {}
    settings = {**{name: value for name, value in untrained.items() if name in config}, **settings}
    copy = model.__class__.from_config({**config, **settings})
    transfer_weights(model, copy)
    return copy


def ship(model_path, name, force=False, **settings):
    """Write the trained model at `model_path` into the package as the pretrained `name`,
    without its optimizer and with `settings` (see `inference_copy`); returns the written
    path. Maintainers run it once per release (docs/pretrained.md)."""
    from kinpaint.files import atomic_path, check_can_write
    from kinpaint.saving import load_model

    if name not in PRETRAINED:
        raise ValueError(f"add {name!r} to PRETRAINED with its file and description first")
    path = WEIGHTS_FOLDER / PRETRAINED[name][0]
    check_can_write(path, force)
    copy = inference_copy(load_model(model_path, compile=False), **settings)
    with atomic_path(path) as temporary:
        copy.save(temporary)
    return path


PRESET_ALIAS = "pretrained:"  # the older spelling of a preset (`pretrained:photos`), still read


def split_side(spec):
    """`(model, side)` of a model named with an optional `@SIDE`, where a command fills at one
    side (`kinpaint evaluate`'s resize path): `"photos@64"` -> `("photos", 64)`,
    `"run.keras"` -> `("run.keras", None)`.

    >>> split_side("photos@64")
    ('photos', 64)
    """
    text = str(spec)
    if "@" not in text:
        return text, None
    model, _, side = text.rpartition("@")
    if not side.isdigit() or int(side) < 8:
        raise ValueError(f"{text!r}: the side after '@' must be a whole number of pixels, at least 8")
    return model, int(side)


def preset_name(spec):
    """The preset that `spec` names, or None where it names a file: `"photos"` (or the older
    `"pretrained:photos"`) is the shipped `photos` unless a file of that name is here.

    >>> preset_name("photos"), preset_name("pretrained:photos"), preset_name("runs/model.keras")
    ('photos', 'photos', None)
    """
    text = str(spec)
    if text.startswith(PRESET_ALIAS):
        name = text[len(PRESET_ALIAS):]
        if name not in PRETRAINED:
            raise ValueError(f"no pretrained model {name!r}; kinpaint ships {sorted(PRETRAINED)}")
        return name
    if text in PRETRAINED and not Path(text).is_file():
        return text
    return None


def names_model(spec):
    """Whether `spec` (without `@SIDE`) names a model: a preset, or a `.keras` file."""
    return preset_name(spec) is not None or str(spec).endswith(".keras")


def model_label(spec):
    """What a report calls the model `spec` (without `@SIDE`): `pretrained_NAME` for a preset,
    the file's name without `.keras` for a file.

    >>> model_label("photos"), model_label("runs/fourier/fourier_inpainter.keras")
    ('pretrained_photos', 'fourier_inpainter')
    """
    name = preset_name(spec)
    return f"pretrained_{name}" if name is not None else Path(str(spec)).stem


def resolve_model(spec=None, safe_mode=True):
    """A model from `spec`, the one resolver every command and `RunConfig(init=...)` use: a
    preset's name (`"photos"`; `"pretrained:photos"` is read too), a `.keras` path, an
    already loaded model, or `None` for the default preset (`"photos"`). A name that is
    neither a preset nor a file is refused with the presets that ship (docs/pretrained.md).
    `safe_mode=False` loads a file that carries a TensorFlow graph: only one you trust
    (`kinpaint.model_trust`)."""
    if spec is None:
        return pretrained(DEFAULT_PRETRAINED)
    if not isinstance(spec, (str, Path)):
        return spec
    name = preset_name(spec)
    if name is not None:
        return pretrained(name)
    text = str(spec)
    if not Path(text).exists() and not text.endswith(".keras") and "/" not in text and os.sep not in text:
        hint = " (a side after '@' is for `kinpaint evaluate`)" if "@" in text else ""
        raise ValueError(f"unknown model {text!r}{hint}: not a preset kinpaint ships ({', '.join(sorted(PRETRAINED))}) "
                         "and no file of that name; give a preset's name or a .keras file saved by kinpaint")
    from kinpaint.saving import load_model

    return load_model(spec, compile=False, safe_mode=safe_mode)
