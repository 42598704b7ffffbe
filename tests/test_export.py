"""`kinpaint.export`: each format's file, loaded with its own runtime, fills as `model.inpaint` does."""

import os

import numpy as np
import pytest

from kinpaint.export import FORMATS, TOLERANCES, export_model, load_exported
from kinpaint.models import DCGAN, ContextEncoder, FourierInpainter, GatedPixelInpainter

SUFFIX = {"saved_model": "", "tflite": ".tflite", "onnx": ".onnx"}
RUNTIMES = {"tflite": None, "onnx": ("tf2onnx", "onnxruntime")}


def needs_runtime(format):
    for module in RUNTIMES.get(format) or ():
        pytest.importorskip(module, reason=f"{module} writes or runs .onnx files: pip install 'kinpaint[export]'")


def perturbed(model, seed=0):
    """`model` with random generator weights: untrained, its correction layer is all zeros and
    the fill would be the harmonic fill alone. Batch-norm variances stay positive."""
    rng = np.random.default_rng(seed)
    for variable in model.generator.weights:
        if "moving_variance" not in variable.path:
            variable.assign(rng.normal(0.0, 0.2, variable.shape).astype("float32"))
    return model


def pictures(size, count=2, seed=1):
    """Pictures in [-1, 1] and masks with a hole in the middle of each."""
    rng = np.random.default_rng(seed)
    height, width = size
    images = rng.uniform(-1, 1, (count, height, width, 3)).astype("float32")
    masks = np.ones((count, height, width, 1), "float32")
    masks[:, height // 4 : height - height // 4, width // 4 : width - width // 4] = 0
    return images, masks


def check_fill(exported, model, images, masks, captions=None, tolerance=0.0):
    expected = model.inpaint(images, masks, captions)
    filled = exported.inpaint(images, masks, captions)
    known = masks[..., 0] == 1
    assert filled.shape == images.shape
    assert np.array_equal(filled[known], images[known])  # known pixels exactly
    assert np.abs(filled - expected).max() <= tolerance
    assert np.abs(filled - images)[~known].max() > 0.1  # the holes are filled, not left alone
    return filled


@pytest.fixture(scope="module")
def fourier():
    return perturbed(FourierInpainter(image_size=16, width=4, blocks=1, precision="float32"))


@pytest.fixture(scope="module", params=FORMATS)
def fourier_export(request, fourier, tmp_path_factory):
    needs_runtime(request.param)
    out = tmp_path_factory.mktemp("fourier") / f"fourier{SUFFIX[request.param]}"
    assert export_model(fourier, out, request.param) == out  # a FourierInpainter exports for any size by default
    return load_exported(out)


@pytest.mark.slow
@pytest.mark.parametrize("size", [(16, 16), (30, 22), (3, 5)])
def test_fourier_export_fills_any_size_as_the_model(fourier_export, fourier, size):
    assert fourier_export.size is None and fourier_export.inputs == ("image", "mask")
    check_fill(fourier_export, fourier, *pictures(size), tolerance=TOLERANCES[fourier_export.format])


@pytest.mark.slow
def test_export_leaves_no_temporary_behind(fourier_export):
    folder = fourier_export.path.parent
    assert os.listdir(folder) == [fourier_export.path.name]


@pytest.fixture(scope="module")
def context_encoder():
    model = ContextEncoder(image_size=16, widths=(8, 16), caption_dim=5, prefill="harmonic",
                           contrast_normalized=True, precision="float32")
    return perturbed(model)


@pytest.mark.slow
@pytest.mark.parametrize("format", FORMATS)
def test_context_encoder_export_reads_caption_vectors(context_encoder, format, tmp_path):
    needs_runtime(format)
    out = export_model(context_encoder, tmp_path / f"context{SUFFIX[format]}", format)
    exported = load_exported(out)
    assert exported.size == (16, 16) and exported.inputs == ("image", "mask", "caption") and exported.caption_dim == 5
    images, masks = pictures((16, 16), count=3)
    captions = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    with_captions = check_fill(exported, context_encoder, images, masks, captions, TOLERANCES[format])
    without = check_fill(exported, context_encoder, images, masks, None, TOLERANCES[format])  # zeros: no caption
    assert np.abs(with_captions - without).max() > 1e-3  # the caption input reaches the fill
    with pytest.raises(ValueError, match="exported for 16x16 pictures"):
        exported.inpaint(*pictures((8, 8)))


@pytest.mark.slow
def test_onnx_export_falls_back_to_tf2onnx_own_way_when_an_optimiser_fails(tmp_path, monkeypatch):
    needs_runtime("onnx")
    import tf2onnx
    from tf2onnx.optimizer.transpose_optimizer import TransposeOptimizer

    conversions = []  # TF2ONNX_CATCH_ERRORS as each conversion saw it
    convert = tf2onnx.convert.from_function

    def recorded(*args, **kwargs):
        conversions.append(os.environ.get("TF2ONNX_CATCH_ERRORS"))
        return convert(*args, **kwargs)

    def broken(self, graph):
        raise RuntimeError("a broken optimiser")

    monkeypatch.setattr(tf2onnx.convert, "from_function", recorded)
    monkeypatch.setattr(TransposeOptimizer, "_optimize", broken)
    model = perturbed(ContextEncoder(image_size=16, widths=(8,), caption_dim=3, precision="float32"))
    exported = load_exported(export_model(model, tmp_path / "context.onnx", "onnx"))
    assert conversions == ["FALSE", None] and "TF2ONNX_CATCH_ERRORS" not in os.environ
    check_fill(exported, model, *pictures((16, 16)), tolerance=TOLERANCES["onnx"])
    monkeypatch.setenv("TF2ONNX_CATCH_ERRORS", "TRUE")  # the user's setting is kept: one conversion, its error
    with pytest.raises(RuntimeError, match="a broken optimiser"):
        export_model(model, tmp_path / "again.onnx", "onnx")
    assert conversions[2:] == ["TRUE"] and os.environ["TF2ONNX_CATCH_ERRORS"] == "TRUE"
    assert not (tmp_path / "again.onnx").exists()


@pytest.mark.slow
def test_mixed_precision_model_exports_in_float32_at_a_fixed_size(tmp_path):
    mixed = perturbed(FourierInpainter(image_size=16, width=4, blocks=1, precision="mixed_bfloat16"))
    plain = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    plain.generator.set_weights(mixed.generator.get_weights())
    exported = load_exported(export_model(mixed, tmp_path / "fixed", "saved_model", size=(18, 10)))
    assert exported.size == (18, 10)
    check_fill(exported, plain, *pictures((18, 10)), tolerance=TOLERANCES["saved_model"])
    with pytest.raises(ValueError, match="exported for 18x10 pictures; got 16x16"):
        exported.inpaint(*pictures((16, 16)))


def test_matrix_fourier_unit_is_the_layers_fft():
    import tensorflow as tf

    from kinpaint.export import matrix_fourier_unit, portable_layers
    from kinpaint.layers import FourierConvolution

    layer = FourierConvolution(8)
    layer.build((None, None, None, 4))
    for height, width in [(8, 8), (7, 10), (5, 3), (1, 1)]:  # even, odd and one-pixel sides
        reduced = tf.random.stateless_normal((2, height, width, layer.reduced_filters), seed=(height, width))
        difference = np.abs(np.asarray(matrix_fourier_unit(layer, reduced)) - np.asarray(layer.fourier_unit(reduced)))
        assert difference.max() < 1e-5

    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    fourier_layer = model.generator.get_layer("fourier_0_a")
    with portable_layers(model):
        assert "fourier_unit" in vars(fourier_layer)
    assert "fourier_unit" not in vars(fourier_layer)  # the layer is itself again


@pytest.mark.parametrize("model, message", [
    (lambda: DCGAN(image_size=16, noise_dim=4, generator_widths=(8, 4), discriminator_widths=(4, 8)),
     "cannot export a DCGAN: a DCGAN fills a hole by semantic inpainting"),
    (lambda: GatedPixelInpainter(image_size=8, features=4, bottleneck=2, blocks=1, head=4),
     "cannot export a GatedPixelInpainter: the pixel model predicts a 256-way distribution"),
    (lambda: ContextEncoder(image_size=16, widths=(8, 16), caption_encoder=_char_encoder()),
     "reads caption strings through its CharCNNGRU"),
    (lambda: FourierInpainter(image_size=16, width=4, blocks=1, caption_dim=6, precision="float32"),
     "FourierInpainter that reads caption vectors"),
])
def test_models_without_a_single_fill_graph_are_refused(model, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        export_model(model(), tmp_path / "out", "saved_model")
    assert not os.listdir(tmp_path)


def _char_encoder():
    from kinpaint.captions import CharCNNGRU

    return CharCNNGRU(length=8, output_dim=4)


def test_bad_arguments_are_refused_before_any_work(fourier, tmp_path):
    context = ContextEncoder(image_size=16, widths=(8, 16), precision="float32")
    with pytest.raises(ValueError, match="fills 16x16 pictures only .* export it at --size 16 16, not any size"):
        export_model(context, tmp_path / "out", "saved_model", dynamic=True)
    with pytest.raises(ValueError, match="--size 16 16, not 32x32"):
        export_model(context, tmp_path / "out", "saved_model", size=(32, 32))
    with pytest.raises(ValueError, match="not both"):
        export_model(fourier, tmp_path / "out", "saved_model", size=(16, 16), dynamic=True)
    with pytest.raises(ValueError, match="format must be one of"):
        export_model(fourier, tmp_path / "out", "tfjs")
    with pytest.raises(TypeError, match="takes a FourierInpainter or a ContextEncoder, got list"):
        export_model([fourier], tmp_path / "out", "saved_model")
    with pytest.raises(ValueError, match="two integers of at least 1"):
        export_model(fourier, tmp_path / "out", "saved_model", size=(16, 0))
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="--format onnx writes one file"):
        export_model(fourier, tmp_path / "folder", "onnx")
    (tmp_path / "folder" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a SavedModel folder; refusing to replace it, even with --force"):
        export_model(fourier, tmp_path / "folder", "saved_model", force=True)
    assert (tmp_path / "folder" / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_command_line_export_refuses_to_overwrite_then_replaces_with_force(tmp_path, capsys):
    from kinpaint.cli.main import main

    model = ContextEncoder(image_size=16, widths=(8, 16), precision="float32")
    model.compile()
    model.save(tmp_path / "context.keras")
    out = tmp_path / "exported"
    argv = ["export", str(tmp_path / "context.keras"), "--format", "saved_model", "--out", str(out)]
    assert main(argv) == 0
    assert f"wrote {out} (saved_model for 16x16 pictures; endpoint serve(image, mask))" in capsys.readouterr().out
    assert main(argv) == 2
    assert "already exists; refusing to overwrite it" in capsys.readouterr().err
    assert main(argv + ["--force"]) == 0
    assert load_exported(out).size == (16, 16)
    assert main(argv + ["--force", "--dynamic"]) == 2
    assert "a ContextEncoder fills 16x16 pictures only" in capsys.readouterr().err


def test_export_never_replaces_its_model_nor_a_folder_holding_it(tmp_path):
    model = ContextEncoder(image_size=16, widths=(8, 16), precision="float32")
    model.compile()
    path = tmp_path / "context.keras"
    model.save(path)
    saved = path.read_bytes()
    os.link(path, tmp_path / "linked.onnx")
    os.symlink(path, tmp_path / "pointer.tflite")
    for out, format in ((path, "onnx"), (tmp_path / "linked.onnx", "onnx"), (path, "saved_model"),
                        (tmp_path / "pointer.tflite", "tflite"), (tmp_path, "saved_model")):
        with pytest.raises(ValueError, match=r"--out .* (is|holds) the model .*context.keras: .*even with --force"):
            export_model(str(path), out, format, force=True)
    assert path.read_bytes() == saved


def test_export_writes_the_suffix_its_format_is_read_by(fourier, tmp_path):
    with pytest.raises(ValueError, match=r"--format onnx writes a .onnx file; --out .*model.keras ends otherwise"):
        export_model(fourier, tmp_path / "model.keras", "onnx")
    with pytest.raises(ValueError, match=r"--format tflite writes a .tflite file"):
        export_model(fourier, tmp_path / "model.onnx", "tflite")
    assert os.listdir(tmp_path) == []


def test_force_replaces_a_saved_model_folder_only_when_it_holds_nothing_else(fourier, tmp_path):
    out = tmp_path / "exported"
    (out / "variables").mkdir(parents=True)
    for part in ("saved_model.pb", "fingerprint.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"):
        (out / part).write_bytes(b"a SavedModel's part")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"holds .*notes.txt, which is not part of a SavedModel"):
        export_model(fourier, out, "saved_model", force=True)
    assert (out / "notes.txt").read_text() == "mine"
