"""What a resumed run may be given: the settings a run's `.keras` file was built and compiled
with, read without loading it, and the check that a resumed run is not given other ones."""

import json
import math
import zipfile


def saved_settings(path):
    """The settings the `.keras` file of a run was built and compiled with, read from its
    `config.json` without loading it: model arguments, `compile` arguments and the optimizer's
    `learning_rate` (a discriminator's: `discriminator_learning_rate`). `{}` when the file
    cannot be read that way."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        return {}
    settings = dict(config["config"])
    compiled = config.get("compile_config")
    for name, value in (compiled.items() if isinstance(compiled, dict) else ()):
        if isinstance(value, dict) and "class_name" in value:  # an optimizer
            rate = (value.get("config") or {}).get("learning_rate")
            if isinstance(rate, (int, float)):
                settings.setdefault("discriminator_learning_rate" if name == "d_optimizer" else "learning_rate", rate)
        else:
            settings[name] = value
    adversarial = settings.get("adversarial")
    if isinstance(adversarial, dict):  # a FourierInpainter's grouped setting, also given by its flat names
        from kinpaint.models.patch_discriminator import FLAT_ADVERSARIAL_NAMES

        settings.update({name: adversarial[field] for name, field in FLAT_ADVERSARIAL_NAMES.items()
                         if field in adversarial})
    return settings


def check_resumed_settings(path, given):
    """Raise `ValueError` when a setting `given` to resume the run saved in `path` (a `.keras`
    file) differs from the saved one: a resumed run keeps its model and optimizers, so the
    setting would be ignored. Settings equal to the saved ones pass."""
    saved = saved_settings(path)
    for name, value in given.items():
        flag = f"{name} (--{name.replace('_', '-')})"
        if not saved or value is None:
            continue  # unreadable: loading the file names the problem
        if name not in saved:
            raise ValueError(f"{flag}: {path} does not record it, and a resumed run keeps its saved model; leave it "
                             "out, or start a new run (--force)")
        if not _same_setting(value, saved[name]):
            raise ValueError(f"{flag} {_shown_setting(value)} differs from the run's saved "
                             f"{_shown_setting(saved[name])}: a resumed run keeps its model and optimizers; leave it "
                             "out, or start a new run (--force)")


def _shown_setting(value):
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _same_setting(given, saved):
    if isinstance(given, (list, tuple)) and isinstance(saved, (list, tuple)):
        return len(given) == len(saved) and all(_same_setting(a, b) for a, b in zip(given, saved))
    if isinstance(given, float) or isinstance(saved, float):
        return isinstance(saved, (int, float)) and math.isclose(given, saved, rel_tol=1e-6)
    return given == saved
