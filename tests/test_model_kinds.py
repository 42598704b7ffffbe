"""`kinpaint.model_kinds`: one entry per model kind, and a kind registered from outside the
package trains, saves, loads, evaluates and exports through the paths the shipped kinds use."""

import os

import keras
import numpy as np
import pytest

from kinpaint.model_kinds import (
    ModelKind,
    flag,
    kind_of_model,
    model_kind,
    model_kind_names,
    model_kinds,
    register_model_kind,
    unregister_model_kind,
)
from kinpaint.models import ContextEncoder, FourierInpainter


@keras.saving.register_keras_serializable(package="kinpaint_tests")
class TinyFourier(FourierInpainter):
    """A FourierInpainter with tiny widths by default: a model kind defined outside kinpaint."""

    def __init__(self, width=2, blocks=1, downsamples=1, **kwargs):
        super().__init__(width=width, blocks=blocks, downsamples=downsamples, **kwargs)


TINY = ModelKind(
    name="tiny-fourier",
    model_class=TinyFourier,
    model_file="tiny_fourier.keras",
    help="a Fourier inpainter of tiny widths, registered by a test",
    evaluation_name="tiny Fourier inpainter",
    run_defaults=dict(captions="none", caption_policy="random", batch_size=4, learning_rate=1e-3),
    compile_settings=("reconstruction",),
    flags=(flag("--width", type=int, help="features of the first layer"),),
)


@pytest.fixture
def tiny_kind():
    register_model_kind(TINY)
    yield TINY
    unregister_model_kind(TINY.name)


def pictures(count=2, side=20):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (count, side, side, 3)).astype("float32")
    masks = np.ones((count, side, side, 1), "float32")
    masks[:, 5:15, 5:15] = 0
    return images, masks


@pytest.mark.slow
def test_a_registered_kind_trains_saves_evaluates_and_exports_as_the_shipped_ones(tiny_kind, shapes_store, tmp_path):
    from kinpaint.export import export_model, load_exported
    from kinpaint.evaluation import evaluate_run
    from kinpaint.recipes import run_config, train
    from kinpaint.saving import load_model

    config = run_config("tiny-fourier", shapes_store, str(tmp_path / "run"), epochs=1, steps_per_epoch=2,
                        precision="float32", width=3, reconstruction="l1")
    assert (config.batch_size, config.captions, config.model_file) == (4, "none", "tiny_fourier.keras")
    assert config.model_options == {"width": 3} and config.compile_options == {"reconstruction": "l1"}
    model, history = train(config)
    assert type(model) is TinyFourier and model.width == 3 and model.reconstruction == "l1"
    assert len(history["reconstruction_loss"]) == 1 and os.path.exists(tmp_path / "run" / "grids")

    loaded = load_model(tmp_path / "run" / "tiny_fourier.keras")
    assert type(loaded) is TinyFourier and kind_of_model(loaded) is TINY
    assert int(loaded.optimizer.iterations) == 2 and loaded.reconstruction == "l1"
    images, masks = pictures()
    filled = loaded.inpaint(images, masks)
    np.testing.assert_allclose(filled, model.inpaint(images, masks), atol=1e-6)

    table = evaluate_run(loaded, config)
    assert "# Tiny Fourier inpainter on" in table and "tiny Fourier inpainter" in table and "mean colour fill" in table
    assert (tmp_path / "run" / "evaluation.md").read_text() == table

    exported = load_exported(export_model(loaded, tmp_path / "tiny_saved_model"))
    assert exported.size is None and exported.inputs == ("image", "mask")  # any size, as its parent class
    np.testing.assert_allclose(exported.inpaint(images, masks), filled, atol=1e-5)


def test_a_registered_kind_has_its_command_line(tiny_kind, capsys):
    from kinpaint.cli.main import build_parser

    args = build_parser().parse_args(["train", "tiny-fourier", "--data", "d.h5", "--out", "run", "--width", "5"])
    assert args.kind is TINY and args.width == 5 and args.batch_size == 4 and args.captions == "none"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    assert "tiny-fourier" in capsys.readouterr().out


def test_the_shipped_kinds_are_registered_once_each():
    assert model_kind_names() == ("fourier", "context-encoder", "pixel", "dcgan")
    assert len({kind.model_file for kind in model_kinds()}) == 4
    assert model_kind("fourier").load_class() is FourierInpainter
    assert kind_of_model(ContextEncoder(image_size=16, widths=(8, 16), precision="float32")).name == "context-encoder"
    assert kind_of_model(TinyFourier(image_size=16)) is None  # not registered: not the fourier kind either


def test_registrations_that_would_clash_are_refused():
    with pytest.raises(ValueError, match="'fourier' is registered already"):
        register_model_kind(model_kind("fourier"))
    with pytest.raises(ValueError, match="'fourier' writes fourier_inpainter.keras already"):
        register_model_kind(ModelKind(**{**vars(TINY), "model_file": "fourier_inpainter.keras"}))
    with pytest.raises(ValueError, match=r"run_defaults lacks \['learning_rate'\]"):
        ModelKind(**{**vars(TINY), "run_defaults": dict(captions="none", caption_policy="random", batch_size=4)})
    with pytest.raises(ValueError, match="model must be one of .*'dcgan'.*, got 'tiny-fourier'"):
        model_kind("tiny-fourier")
    with pytest.raises(TypeError, match="takes a ModelKind"):
        register_model_kind("tiny-fourier")


def test_from_preset_gives_the_shipped_model_of_its_class_only():
    model = FourierInpainter.from_preset("photos")
    assert type(model) is FourierInpainter and model.coarse_side == 128
    with pytest.raises(ValueError, match="the preset 'photos' is a FourierInpainter, not a ContextEncoder"):
        ContextEncoder.from_preset("photos")
    with pytest.raises(ValueError, match="no pretrained model 'sketches'"):
        FourierInpainter.from_preset("sketches")
