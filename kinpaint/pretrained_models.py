"""Models that ship inside the package, loaded offline: `kinpaint.pretrained("photos")`."""

from pathlib import Path

WEIGHTS_FOLDER = Path(__file__).parent / "weights"
DEFAULT_PRETRAINED = "photos"
PRETRAINED = {
    "photos": ("photos.keras", "FourierInpainter trained on the photo corpus's training photographs; "
                               "fills holes of any shape in pictures of any size (docs/pretrained.md)"),
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
    from kinpaint.saving import load_model

    return load_model(path, compile=False)


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


def resolve_model(spec=None):
    """A model from `spec`: a `.keras` path, a pretrained name, an already loaded model, or
    `None` for the default pretrained model (`"photos"`)."""
    if spec is None:
        return pretrained(DEFAULT_PRETRAINED)
    if not isinstance(spec, (str, Path)):
        return spec
    if str(spec) in PRETRAINED and not Path(spec).exists():
        return pretrained(str(spec))
    from kinpaint.saving import load_model

    return load_model(spec, compile=False)
