"""The example scripts run as a user would run them (tiny sizes)."""

import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_evaluate_baseline_example(tmp_path, capsys):
    results = load_example("evaluate_baseline").main(["--out", str(tmp_path), "--count", "16"])
    assert results["images"] == 16 and results["hole_psnr"] > 5
    assert os.path.exists(tmp_path / "data.h5")
    assert os.path.exists(tmp_path / "grid_epoch_0001.png")
    assert "mean colour" in capsys.readouterr().out


@pytest.mark.slow
def test_train_context_encoder_example(tmp_path, capsys):
    rows = load_example("train_context_encoder").main(["--out", str(tmp_path), "--epochs", "1", "--train-images", "64",
                                                       "--val-images", "8", "--test-images", "16"])
    assert set(rows) == {"context encoder, captions", "context encoder, no captions", "mean colour fill"}
    assert os.path.exists(tmp_path / "context_encoder.keras")
    assert os.path.exists(tmp_path / "grids" / "grid_epoch_0001.png")
    assert "unknown words on the test split" in capsys.readouterr().out


@pytest.mark.parametrize("argument, message", [("--val-images=3", "--val-images must be at least 8"),
                                               ("--test-images=0", "--test-images must be at least 1")])
def test_train_context_encoder_example_names_a_split_too_small(tmp_path, capsys, argument, message):
    with pytest.raises(SystemExit) as stop:
        load_example("train_context_encoder").main(["--out", str(tmp_path / "run"), argument])
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # refused before anything is written


@pytest.mark.slow
def test_semantic_inpainting_example(tmp_path, capsys):
    rows = load_example("semantic_inpainting").main(["--out", str(tmp_path), "--epochs", "1", "--train-images", "64",
                                                     "--test-images", "3", "--restarts", "2", "--steps", "3"])
    assert set(rows) == {"semantic, Poisson blend", "semantic, no blend"}
    for name in ("dcgan.keras", "samples/grid_epoch_0001.png", "semantic_Poisson_blend.png", "semantic_no_blend.png"):
        assert os.path.exists(tmp_path / name), name
    assert "searched 3 steps" in capsys.readouterr().out


@pytest.mark.slow
def test_train_pixel_inpainter_example(tmp_path, capsys):
    logs, rows = load_example("train_pixel_inpainter").main(["--out", str(tmp_path), "--epochs", "1", "--blocks", "1",
                                                             "--features", "8", "--train-images", "32",
                                                             "--test-images", "8"])
    assert 0 < logs["bits_per_dim"] <= 8.5 and "pixel inpainter, captions" in rows
    assert os.path.exists(tmp_path / "pixel_inpainter.keras")
    assert os.path.exists(tmp_path / "grids" / "grid_epoch_0001.png")
    assert "bits per value" in capsys.readouterr().out
