"""`kinpaint train` and `kinpaint inpaint` on tiny stores and pictures."""

import csv
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from kinpaint.cli.main import main

TINY = ["--widths", "4,8,16,32", "--batch-size", "8", "--precision", "float32"]


def train(store, out, *extra):
    return main(["train", "context-encoder", "--data", store, "--out", str(out), "--epochs", "1", *TINY, *extra])


def epochs_logged(out):
    with open(out / "history.csv") as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One tiny `kinpaint train context-encoder` run for this file, only read: `(run folder, its store)`."""
    import keras

    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import write_store

    keras.utils.set_random_seed(0)  # module fixtures come before the autouse `seeded`
    root = tmp_path_factory.mktemp("inpaint")
    store = str(root / "shapes.h5")
    write_store(store, open_reader("shapes", counts={"train": 16, "val": 8, "test": 8}), progress=False)
    assert train(store, root / "run") == 0
    return root / "run", store


@pytest.fixture(scope="module")
def trained_model(trained_run):
    return str(trained_run[0] / "context_encoder.keras")


@pytest.mark.slow
def test_train_writes_a_run_refuses_to_clobber_it_and_resumes(trained_run, tmp_path, capsys):
    run, store = trained_run
    out = tmp_path / "run"
    shutil.copytree(run, out)  # the fixture's run stays as it was; a copied run resumes as well
    for name in ("context_encoder.keras", "history.csv", "loss.png", "evaluation.md", "grids/grid_epoch_0001.png"):
        assert (out / name).exists(), name
    table = (out / "evaluation.md").read_text()
    assert "context encoder, captions" in table and "mean colour fill" in table
    saved = (out / "context_encoder.keras").read_bytes()

    assert train(store, out) == 2
    assert "--resume to continue it or --force to replace it" in capsys.readouterr().err
    assert (out / "context_encoder.keras").read_bytes() == saved

    # The fixture's run was evaluated; these two are not (--no-test): nothing here reads their tables.
    assert train(store, out, "--resume", "--no-test") == 0
    assert epochs_logged(out) == [0, 1]
    assert (out / "grids" / "grid_epoch_0002.png").exists()
    assert train(store, out, "--force", "--no-test") == 0
    assert epochs_logged(out) == [0]


def test_train_error_messages(shapes_store, tmp_path, capsys):
    assert train(shapes_store, tmp_path / "a", "--resume") == 2
    assert "nothing to resume" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        train(shapes_store, tmp_path / "b", "--widths", "4,x")
    assert exit_info.value.code == 2
    assert "argument --widths: expected integers of at least 1" in capsys.readouterr().err
    assert main(["train", "context-encoder", "--data", str(tmp_path / "none.h5"), "--out", str(tmp_path / "c")]) == 2


def test_the_command_line_takes_every_reconstruction_the_model_does():
    from kinpaint.cli.main import build_parser
    from kinpaint.models import ContextEncoder
    from kinpaint.options import RECONSTRUCTIONS

    model, parser = ContextEncoder(image_size=16, widths=(8,), precision="float32"), build_parser()
    for kind in RECONSTRUCTIONS:
        model.compile(reconstruction=kind)  # each compile checks the kind and builds its optimizers anew
        args = parser.parse_args(["train", "context-encoder", "--data", "d.h5", "--out", "run", "--reconstruction", kind])
        assert args.reconstruction == model.reconstruction == kind


@pytest.mark.slow
def test_joined_captions_and_prefill_from_the_command_line(shapes_store, tmp_path):
    import keras

    from kinpaint.data import Store
    from kinpaint.options import CAPTION_SEPARATOR
    from kinpaint.captions.mean_word_embedding import word_counts

    out = tmp_path / "run"
    assert train(shapes_store, out, "--caption-policy", "joined", "--prefill", "harmonic", "--contrast-normalized",
                 "--reconstruction", "log_l2", "--steps-per-epoch", "1") == 0
    model = keras.models.load_model(out / "context_encoder.keras")
    assert model.prefill == "harmonic" and model.contrast_normalized and model.reconstruction == "log_l2"
    store = Store(shapes_store)
    texts = [CAPTION_SEPARATOR.join(image) for image in store.read_captions(*store.split_range("train"))]
    longest = int(word_counts(texts).max())
    assert longest > 32 and model.caption_encoder.max_words == longest
    assert "context encoder, captions" in (out / "evaluation.md").read_text()


def write_picture(path, width=100, height=80, seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


@pytest.mark.slow
def test_inpaint_any_size_keeps_pixels_outside_the_hole(trained_model, tmp_path):
    pixels = write_picture(tmp_path / "in.png")
    out = tmp_path / "out.png"
    assert main(["inpaint", "--model", trained_model, "--image", str(tmp_path / "in.png"), "--centre",
                 "--caption", "a red square", "--out", str(out)]) == 0
    result = np.asarray(Image.open(out))
    assert result.shape == pixels.shape
    hole = np.zeros((80, 100), bool)
    hole[20:60, 25:75] = True
    np.testing.assert_array_equal(result[~hole], pixels[~hole])
    assert (result[hole] != pixels[hole]).any()


@pytest.mark.slow
def test_several_captions_fill_as_their_joined_text(trained_model, tmp_path):
    from kinpaint.options import CAPTION_SEPARATOR

    write_picture(tmp_path / "in.png")
    common = ["inpaint", "--model", trained_model, "--image", str(tmp_path / "in.png"), "--centre"]
    assert main([*common, "--caption", "a red square", "--caption", "a big cross", "--out", str(tmp_path / "a.png")]) == 0
    joined = CAPTION_SEPARATOR.join(["a red square", "a big cross"])
    assert main([*common, "--caption", joined, "--out", str(tmp_path / "b.png")]) == 0
    assert main([*common, "--caption", "a red square", "--out", str(tmp_path / "c.png")]) == 0
    first, second, single = (np.asarray(Image.open(tmp_path / name)) for name in ("a.png", "b.png", "c.png"))
    np.testing.assert_array_equal(first, second)
    assert (first != single).any()


@pytest.mark.slow
def test_inpaint_in_a_fresh_process_loads_the_model(trained_model, tmp_path):
    import subprocess
    import sys

    write_picture(tmp_path / "in.png")
    command = [sys.executable, "-m", "kinpaint", "inpaint", "--model", trained_model, "--image",
               str(tmp_path / "in.png"), "--centre", "--out", str(tmp_path / "out.png")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out.png").exists()


@pytest.mark.slow
def test_inpaint_with_a_mask_file(trained_model, tmp_path):
    pixels = write_picture(tmp_path / "in.png")
    mask = np.zeros((80, 100), np.uint8)
    mask[5:30, 60:90] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    assert main(["inpaint", "--model", trained_model, "--image", str(tmp_path / "in.png"),
                 "--mask", str(tmp_path / "mask.png"), "--out", str(out)]) == 0
    result = np.asarray(Image.open(out))
    np.testing.assert_array_equal(result[mask == 0], pixels[mask == 0])


@pytest.mark.parametrize("problem", ["small mask", "empty mask", "existing out", "out is input", "empty caption",
                                     "missing model", "corrupt image"])
@pytest.mark.slow
def test_inpaint_errors_name_the_culprit(trained_model, tmp_path, capsys, problem):
    write_picture(tmp_path / "in.png")
    Image.fromarray(np.full((10, 10), 255, np.uint8)).save(tmp_path / "small.png")
    Image.fromarray(np.zeros((80, 100), np.uint8)).save(tmp_path / "empty.png")
    (tmp_path / "taken.png").write_bytes(b"precious")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    argv = {"model": trained_model, "image": str(tmp_path / "in.png"), "out": str(tmp_path / "out.png")}
    extra = ["--centre"]
    expected = {
        "small mask": "small.png is 10x10 but the picture is 100x80",
        "empty mask": "marks no pixel to fill",
        "existing out": "refusing to overwrite",
        "out is input": "would overwrite an input",
        "empty caption": "--caption number 1 is empty",
        "missing model": "model file not found",
        "corrupt image": "corrupt.png",
    }[problem]
    if problem == "small mask":
        extra = ["--mask", str(tmp_path / "small.png")]
    elif problem == "empty mask":
        extra = ["--mask", str(tmp_path / "empty.png")]
    elif problem == "existing out":
        argv["out"] = str(tmp_path / "taken.png")
    elif problem == "out is input":
        argv["out"] = argv["image"]
    elif problem == "empty caption":
        extra += ["--caption", "  "]
    elif problem == "missing model":
        argv["model"] = str(tmp_path / "nothing.keras")
    elif problem == "corrupt image":
        argv["image"] = str(tmp_path / "corrupt.png")
    code = main(["inpaint", "--model", argv["model"], "--image", argv["image"], "--out", argv["out"], *extra])
    assert code == 2
    assert expected in capsys.readouterr().err
    assert (tmp_path / "taken.png").read_bytes() == b"precious"


@pytest.mark.slow
def test_train_pixel_writes_a_run_with_bits_per_dim(tmp_path):
    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import write_store

    store = str(tmp_path / "shapes16.h5")  # 16x fewer pixels than the 64x64 store, each with 256 logits per colour
    write_store(store, open_reader("shapes", size=16, counts={"train": 40, "val": 8, "test": 12}), progress=False)
    out = tmp_path / "pixel"
    arguments = ["train", "pixel", "--data", store, "--out", str(out), "--epochs", "1", "--features", "8",
                 "--blocks", "1", "--batch-size", "8", "--precision", "float32", "--steps-per-epoch", "2"]
    assert main(arguments) == 0
    for name in ("pixel_inpainter.keras", "history.csv", "loss.png", "grids/grid_epoch_0001.png"):
        assert (out / name).exists(), name
    table = (out / "evaluation.md").read_text()
    assert "pixel inpainter (mean fill), captions" in table and "bits_per_dim" in table
    assert main(arguments) == 2  # an existing run is not replaced silently
    assert main([*arguments, "--resume", "--no-test"]) == 0  # its table was read above
    assert epochs_logged(out) == [0, 1]


@pytest.mark.slow
def test_train_dcgan_then_semantic_inpaint_a_picture(shapes_store, tmp_path, capsys):
    out = tmp_path / "gan"
    assert main(["train", "dcgan", "--data", shapes_store, "--out", str(out), "--epochs", "1", "--batch-size", "8",
                 "--noise-dim", "8", "--precision", "float32", "--steps-per-epoch", "2", "--d-steps", "2",
                 "--eval-images", "4", "--restarts", "2", "--search-steps", "3"]) == 0
    for name in ("dcgan.keras", "history.csv", "loss.png", "grids/samples_epoch_0001.png"):
        assert (out / name).exists(), name
    assert "semantic inpainting, captions" in (out / "evaluation.md").read_text()
    picture = tmp_path / "in.png"
    pixels = np.random.default_rng(0).integers(0, 255, (80, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(picture)
    filled = tmp_path / "out.png"
    assert main(["inpaint", "--model", str(out / "dcgan.keras"), "--image", str(picture), "--centre",
                 "--caption", "a red circle", "--restarts", "2", "--steps", "3", "--out", str(filled)]) == 0
    result = np.asarray(Image.open(filled))
    hole = np.zeros((80, 96), bool)
    hole[20:60, 24:72] = True
    np.testing.assert_array_equal(result[~hole], pixels[~hole])


def test_semantic_method_needs_a_dcgan(trained_model, tmp_path, capsys):
    picture = tmp_path / "in.png"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(picture)
    assert main(["inpaint", "--model", trained_model, "--image", str(picture), "--centre", "--method", "semantic",
                 "--out", str(tmp_path / "out.png")]) == 2
    assert "searches a DCGAN's latent space" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_a_trained_model_against_baselines_from_the_command_line(trained_model, tmp_path, capsys):
    store = os.path.join(os.path.dirname(os.path.dirname(trained_model)), "shapes.h5")
    out = tmp_path / "report"
    arguments = ["evaluate", "--data", store, "--methods", "mean", "harmonic", trained_model, "--out", str(out)]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "| context_encoder | true - other |" in printed and "| harmonic | none |" in printed
    # The report, and the record of the files kinpaint evaluate wrote (what --force may replace).
    assert sorted(path.name for path in out.iterdir()) == [".kinpaint-outputs.jsonl", "grid.png", "results.csv",
                                                           "results.md"]
    assert main(arguments) == 2 and "--force" in capsys.readouterr().err
    assert main(["evaluate", "--data", store, "--methods", "nearest", "--out", str(tmp_path / "b")]) == 2
    assert "unknown method 'nearest'" in capsys.readouterr().err


FOURIER_FIT = ["--batch-size", "8", "--precision", "float32", "--epochs", "1", "--steps-per-epoch", "2"]


@pytest.fixture(scope="module")
def fourier_run(tmp_path_factory):
    """A tiny captionless `kinpaint train fourier` run, trained once for the fine-tuning tests
    (which only read it): `(run folder, its store)`."""
    import keras

    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import write_store

    keras.utils.set_random_seed(0)  # module fixtures come before the autouse `seeded`
    root = tmp_path_factory.mktemp("fourier")
    store = str(root / "shapes.h5")
    write_store(store, open_reader("shapes", counts={"train": 40, "val": 8, "test": 12}), progress=False)
    first = root / "first"
    assert main(["train", "fourier", "--data", store, "--out", str(first), "--width", "4", "--blocks", "1",
                 *FOURIER_FIT]) == 0
    return first, store


@pytest.mark.slow
def test_train_init_fine_tunes_a_trained_model_with_a_fresh_optimizer(fourier_run, tmp_path, capsys):
    from kinpaint.recipes import fine_tuning_start, run_config
    from kinpaint.saving import load_model

    first, shapes_store = fourier_run
    source = str(first / "fourier_inpainter.keras")
    start = fine_tuning_start(run_config("fourier", shapes_store, str(tmp_path / "x"), init=source), 32)
    trained = load_model(source)
    assert start.image_size == 32 and start.width == 4
    for mine, theirs in zip(start.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert int(start.optimizer.iterations) == 0

    tuned = tmp_path / "tuned"
    options = FOURIER_FIT
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tuned), "--init", source, "--no-test",
                 *options]) == 0  # the closing evaluation is tested with the first run
    assert epochs_logged(tuned) == [0]
    assert load_model(str(tuned / "fourier_inpainter.keras")).width == 4
    capsys.readouterr()

    refused = {
        ("--width", "8"): "init keeps the architecture",
        ("--caption-noise", "1"): "set the captions that init adds",
        ("--resume",): "choose one",
    }
    for extra, message in refused.items():
        assert main(["train", "fourier", "--data", shapes_store, "--out", str(tmp_path / "r"), "--init", source,
                     *options, *extra]) == 2
        assert message in capsys.readouterr().err, extra
    captioned = tmp_path / "captioned"
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(captioned), "--init", source,
                 "--captions", "words", "--no-test", *options]) == 0
    capsys.readouterr()
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tmp_path / "r"), "--init",
                 str(captioned / "fourier_inpainter.keras"), *options]) == 2
    assert "reads captions but the run has captions 'none'" in capsys.readouterr().err
    assert main(["train", "context-encoder", "--data", shapes_store, "--out", str(tmp_path / "r"), "--init", source,
                 "--captions", "none", "--epochs", "1", "--batch-size", "8"]) == 2
    assert "is a FourierInpainter, not a ContextEncoder" in capsys.readouterr().err
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tmp_path / "r"), "--init",
                 str(tmp_path / "missing.keras"), *options]) == 2
    assert "missing.keras" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_init_from_a_captionless_fourier_model_adds_captions_that_start_as_the_identity(fourier_run, tmp_path):
    from kinpaint.data import Store, make_dataset
    from kinpaint.recipes import fine_tuning_start, run_config
    from kinpaint.saving import load_model

    first, shapes_store = fourier_run
    source = load_model(str(first / "fourier_inpainter.keras"))
    config = run_config("fourier", shapes_store, str(tmp_path / "x"), init=str(first / "fourier_inpainter.keras"),
                        captions="words")
    start = fine_tuning_start(config, 32, Store(shapes_store))
    assert start.conditioned and not source.conditioned and int(start.optimizer.iterations) == 0
    noisy = run_config("fourier", shapes_store, str(tmp_path / "y"), init=str(first / "fourier_inpainter.keras"),
                       captions="words", caption_noise=2.0, caption_units=8)
    assert (fine_tuning_start(noisy, 32, Store(shapes_store)).caption_noise, start.caption_noise) == (2.0, 0.0)
    batch = next(iter(make_dataset(shapes_store, "test", batch_size=4, shuffle=False)))
    images, masks = np.asarray(batch["image"]), np.asarray(batch["mask"])
    captions = [str(text) for text in np.asarray(batch["caption"]).astype(str)]
    np.testing.assert_allclose(start.inpaint(images, masks, captions), source.inpaint(images, masks), atol=1e-5)


@pytest.mark.slow
def test_train_fourier_takes_caption_noise_and_refuses_it_without_captions(shapes_store, tmp_path, capsys):
    from kinpaint.saving import load_model

    out = tmp_path / "noisy"
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(out), "--width", "4", "--blocks", "1",
                 "--captions", "words", "--caption-noise", "2", "--no-test", *FOURIER_FIT]) == 0
    assert load_model(str(out / "fourier_inpainter.keras")).caption_noise == 2.0
    capsys.readouterr()
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tmp_path / "plain"), "--width", "4",
                 "--blocks", "1", "--caption-noise", "2", *FOURIER_FIT]) == 2
    assert "caption_noise=2.0 needs a model that reads captions" in capsys.readouterr().err
    assert not (tmp_path / "plain").exists()


@pytest.mark.slow
def test_train_fourier_init_takes_an_adversarial_weight_and_starts_from_the_same_fill(fourier_run, tmp_path,
                                                                                      capsys):
    from kinpaint.models.patch_discriminator import AdversarialTraining
    from kinpaint.recipes import fine_tuning_start, run_config
    from kinpaint.saving import load_model

    first, shapes_store = fourier_run
    source = str(first / "fourier_inpainter.keras")
    config = run_config("fourier", shapes_store, str(tmp_path / "x"), init=source, adversarial_weight=0.5)
    start = fine_tuning_start(config, 32)
    trained = load_model(source)
    assert start.discriminator is not None and int(start.d_optimizer.iterations) == 0
    for mine, theirs in zip(start.generator.get_weights(), trained.generator.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    tuned = tmp_path / "tuned"
    adversarial = ["--adversarial-weight", "0.5", "--discriminator-learning-rate", "0.003", "--discriminator-shift",
                   "--r1-weight", "0.01"]
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tuned), "--init", source, *adversarial,
                 "--no-test", *FOURIER_FIT]) == 0
    assert (first / "evaluation.md").exists() and not (tuned / "evaluation.md").exists()
    assert "not evaluated on the test split" in capsys.readouterr().out
    with open(tuned / "history.csv") as handle:
        assert {"adversarial_loss", "d_loss"} <= set(next(csv.DictReader(handle)))
    saved = load_model(str(tuned / "fourier_inpainter.keras"))
    assert saved.adversarial == AdversarialTraining(weight=0.5, discriminator_shift=True, r1_weight=0.01)
    assert np.isclose(float(saved.d_optimizer.learning_rate), 0.003)
    assert np.isclose(float(saved.optimizer.learning_rate), 1e-3)
    resumed = ["--resume", "--batch-size", "8", "--precision", "float32", "--epochs", "2", "--steps-per-epoch", "2"]
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tuned), "--adversarial-weight", "0.5",
                 "--discriminator-learning-rate", "0.003", *resumed, "--no-test"]) == 0
    assert epochs_logged(tuned) == [0, 1, 2]
    capsys.readouterr()
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tuned), "--discriminator-learning-rate",
                 "0.01", *resumed[:-4], "--epochs", "3"]) == 2
    assert "discriminator_learning_rate (--discriminator-learning-rate) 0.01 differs" in capsys.readouterr().err
    plain = fine_tuning_start(run_config("fourier", shapes_store, str(tmp_path / "y"),
                                         init=str(tuned / "fourier_inpainter.keras")), 32)
    assert plain.discriminator is None and not plain.adversarial.enabled  # init takes the fill, not the training
    assert main(["train", "fourier", "--data", shapes_store, "--out", str(tmp_path / "lonely"), "--init", source,
                 "--discriminator-learning-rate", "0.01", *FOURIER_FIT]) == 2
    assert "needs a discriminator" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["train", "fourier", "--data", shapes_store, "--out", str(tmp_path / "bad"), "--init", source,
              "--adversarial-weight", "-1", *FOURIER_FIT])
    assert stop.value.code == 2 and "--adversarial-weight" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
