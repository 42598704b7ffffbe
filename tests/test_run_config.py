"""RunConfig: one run's settings, with per-model defaults and early, named errors."""

import pytest

from kinpaint.recipes import run_config
from kinpaint.model_kinds import model_kind, model_kind_names
from kinpaint.run_config import RunConfig


@pytest.mark.parametrize("model", model_kind_names())
def test_each_model_gets_its_documented_defaults_unless_told(model):
    config = RunConfig(model, "data.h5", "run")
    for name, value in model_kind(model).run_defaults.items():
        assert getattr(config, name) == value
    assert RunConfig(model, "data.h5", "run", batch_size=3).batch_size == 3


@pytest.mark.parametrize("settings, message", [
    (dict(model="gan"), "model must be one of"),
    (dict(caption_policy="all"), "caption_policy must be one of"),
    (dict(masks="circles"), "masks must be one of"),
    (dict(precision="float16"), "precision must be one of"),
    (dict(epochs=0), "epochs must be at least 1"),
    (dict(steps_per_epoch=0), "steps_per_epoch must be at least 1"),
    (dict(learning_rate=0), "learning_rate must be above 0 and at most 1"),
    (dict(learning_rate=1e5), "learning_rate must be above 0 and at most 1"),
    (dict(model="fourier", compile_options={"discriminator_learning_rate": 0.0}),
     "discriminator_learning_rate must be above 0 and at most 1"),
    (dict(model="fourier", compile_options={"discriminator_learning_rate": 2.0}),
     "discriminator_learning_rate must be above 0 and at most 1"),
    (dict(init="photos", resume=True), "init starts a new run"),
    (dict(resume=True, force=True), "choose one"),
])
def test_nonsense_settings_are_refused_by_name(settings, message):
    settings = {"model": "pixel", **settings}
    with pytest.raises(ValueError, match=message):
        RunConfig(data="data.h5", out="run", **settings)


def test_flat_settings_are_split_into_run_compile_and_model_options():
    config = run_config("context-encoder", "data.h5", "run", epochs=2, widths=(8, 16), prefill="harmonic",
                        adversarial_weight=0.0, reconstruction="log_l2")
    assert config.epochs == 2
    assert config.model_options == {"widths": (8, 16), "prefill": "harmonic"}
    assert config.compile_options == {"adversarial_weight": 0.0, "reconstruction": "log_l2"}
    assert run_config("dcgan", "d", "o", d_steps=2, noise_dim=8).compile_options == {"d_steps": 2}
