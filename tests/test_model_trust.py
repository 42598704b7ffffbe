"""A model file that carries a TensorFlow graph is a program: refused unless trusted, never fetched."""

import json
import os
import socket
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import kinpaint
from kinpaint.captions import HubTextEncoder
from kinpaint.cli.main import main
from kinpaint.model_trust import UntrustedModelError, trusting_model_code

CAPTIONS = ["a red square", "the dog"]
REMOTE = "https://tfhub.dev/someone/text-embedding/1"


def encoder_model(module_dir, path):
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, HubTextEncoder(module_dir, name="caption_vectors")(inputs))
    before = model(tf.constant(CAPTIONS)).numpy()
    model.save(path)
    return before


def with_handle(path, handle, out, **changes):
    """A copy of the `.keras` file at `path` whose HubTextEncoder names `handle` (and `changes`)."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])

    def rewrite(node):
        if isinstance(node, dict):
            if node.get("class_name") == "HubTextEncoder":
                node["config"].update(handle=handle, **changes)
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    rewrite(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def forbid_network_and_fetch(monkeypatch):
    """Fail the test if anything opens a connection or asks TensorFlow Hub to fetch a handle."""
    import tensorflow_hub as hub

    def refuse(*args, **kwargs):
        raise AssertionError(f"a model load reached the network or a hub fetch: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(hub, "resolve", refuse)


def forbid_graph_loads(monkeypatch):
    """Fail the test if any SavedModel is loaded."""
    import tensorflow_hub as hub

    def refuse(*args, **kwargs):
        raise AssertionError(f"a refused model file loaded a SavedModel: {args}")

    monkeypatch.setattr(hub, "load", refuse)
    monkeypatch.setattr(tf.saved_model, "load", refuse)


def test_a_remote_handle_is_refused_without_touching_the_network(text_module_dir, tmp_path, monkeypatch):
    encoder_model(text_module_dir, tmp_path / "local.keras")
    path = with_handle(tmp_path / "local.keras", REMOTE, tmp_path / "remote.keras", output_dim=None)
    forbid_network_and_fetch(monkeypatch)
    forbid_graph_loads(monkeypatch)
    for load in (kinpaint.load_model, keras.models.load_model):
        with pytest.raises(UntrustedModelError) as refused:
            load(path)
        message = str(refused.value)
        for part in ("'caption_vectors'", REMOTE, "never fetches", "is a program", "safe_mode=False",
                     "--trust-model-code"):
            assert part in message


def test_trusting_a_remote_handle_uses_the_files_copy_and_never_fetches(text_module_dir, tmp_path, monkeypatch):
    before = encoder_model(text_module_dir, tmp_path / "local.keras")
    path = with_handle(tmp_path / "local.keras", REMOTE, tmp_path / "remote.keras")
    forbid_network_and_fetch(monkeypatch)
    model = kinpaint.load_model(path, safe_mode=False)
    np.testing.assert_allclose(model(tf.constant(CAPTIONS)).numpy(), before, rtol=1e-6)

    copyless = tmp_path / "copyless.keras"  # the same file without the module it names
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(copyless, "w") as out:
        for name in archive.namelist():
            if not name.startswith("assets/"):
                out.writestr(name, archive.read(name))
    with pytest.raises(FileNotFoundError, match="never fetches anything"):
        kinpaint.load_model(copyless, safe_mode=False)(tf.constant(CAPTIONS))
    with pytest.raises(ValueError, match="never fetches anything"):  # nor when the file leaves the size to find
        kinpaint.load_model(with_handle(copyless, REMOTE, tmp_path / "sizeless.keras", output_dim=None),
                            safe_mode=False)


def test_a_saved_model_inside_the_file_is_refused_by_default_and_loads_when_trusted(text_module_dir, tmp_path,
                                                                                   monkeypatch):
    path = tmp_path / "encoder.keras"
    before = encoder_model(text_module_dir, path)
    with monkeypatch.context() as patch:
        forbid_graph_loads(patch)
        with pytest.raises(UntrustedModelError, match=r"encoder.keras: .*'caption_vectors' loads .*SavedModel is a "
                           r"program.*safe_mode=False"):
            kinpaint.load_model(path)
        with pytest.raises(UntrustedModelError):
            keras.models.load_model(path)
    for loaded in (kinpaint.load_model(path, safe_mode=False), keras.models.load_model(path, safe_mode=False)):
        np.testing.assert_allclose(loaded(tf.constant(CAPTIONS)).numpy(), before, rtol=1e-6)
    with trusting_model_code():
        np.testing.assert_allclose(kinpaint.load_model(path)(tf.constant(CAPTIONS)).numpy(), before, rtol=1e-6)
    with pytest.raises(UntrustedModelError):  # the trust ends with its scope
        kinpaint.load_model(path)


def test_a_hostile_module_never_runs_when_its_file_is_refused(tmp_path):
    """The attack: a module that writes a file of its choosing whenever it embeds a caption."""
    written = str(tmp_path / "written-by-the-model")

    class Hostile(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            with tf.control_dependencies([tf.io.write_file(written, "owned")]):
                return tf.zeros([tf.shape(text)[0], 4])

    module = str(tmp_path / "hostile")
    tf.saved_model.save(Hostile(), module)
    inputs = keras.Input(shape=(), dtype="string")
    keras.Model(inputs, HubTextEncoder(module, output_dim=4)(inputs)).save(tmp_path / "hostile.keras")
    assert not os.path.exists(written)
    with pytest.raises(UntrustedModelError):
        kinpaint.load_model(tmp_path / "hostile.keras")
    assert not os.path.exists(written)
    trusted = kinpaint.load_model(tmp_path / "hostile.keras", safe_mode=False)
    trusted(tf.constant(["a caption"]))
    assert os.path.exists(written)  # what trusting a file means: its graph runs


@pytest.fixture(scope="module")
def captioned_model(text_module_dir, tmp_path_factory):
    """A tiny FourierInpainter whose captions go through a HubTextEncoder (a SavedModel)."""
    from kinpaint.models import FourierInpainter

    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32",
                             caption_encoder=HubTextEncoder(text_module_dir))
    path = str(tmp_path_factory.mktemp("trust") / "captioned.keras")
    model.save(path)
    return path


@pytest.mark.slow
def test_inpaint_refuses_a_model_that_carries_a_graph_unless_trusted(captioned_model, tmp_path, capsys):
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 20, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    out = tmp_path / "out.png"
    command = ["inpaint", "--model", captioned_model, "--image", str(tmp_path / "in.png"), "--centre",
               "--caption", "a red square", "--out", str(out)]
    assert main(command) == 2
    error = capsys.readouterr().err
    assert "captioned.keras" in error and "is a program" in error and "--trust-model-code" in error
    assert not out.exists()
    assert main([*command, "--trust-model-code"]) == 0
    assert Image.open(out).size == (20, 24)


def test_serve_refuses_a_model_that_carries_a_graph_unless_trusted(captioned_model, capsys, monkeypatch):
    pytest.importorskip("uvicorn")
    from kinpaint.pretrained_models import resolve_model
    from kinpaint.serve import serve

    with pytest.raises(UntrustedModelError, match="--trust-model-code"):
        serve(captioned_model, port=0, log=lambda line: None)
    assert main(["serve", "--model", captioned_model, "--port", "0"]) == 2
    assert "--trust-model-code" in capsys.readouterr().err
    assert resolve_model(captioned_model, safe_mode=False).caption_encoder is not None
    served = []  # uvicorn's own set-up stands aside: its logging takes over the captured streams

    class Server:
        def __init__(self, app):
            self.app = app

        def run(self, sockets):
            served.append(self.app)

    monkeypatch.setattr("uvicorn.Config", lambda app, **settings: app)
    monkeypatch.setattr("uvicorn.Server", Server)
    assert main(["serve", "--model", captioned_model, "--port", "0", "--trust-model-code"]) == 0
    assert len(served) == 1


def test_every_command_that_loads_a_model_takes_the_trust_flag():
    from kinpaint.cli.main import build_parser

    parser = build_parser()
    for argv in (["inpaint", "--image", "a", "--centre", "--out", "b"], ["serve"], ["export", "m", "--format",
                 "onnx", "--out", "o"], ["evaluate", "--data", "d", "--methods", "m", "--out", "o"],
                 ["train", "fourier", "--data", "d", "--out", "o", "--init", "m"]):
        assert parser.parse_args(argv).trust_model_code is False
        assert parser.parse_args([*argv, "--trust-model-code"]).trust_model_code is True


@pytest.mark.slow
def test_shipped_and_legacy_models_load_without_trust():
    from pathlib import Path

    legacy = sorted((Path(__file__).parent / "data" / "legacy").glob("*.keras"))
    assert legacy
    for path in legacy:
        assert kinpaint.load_model(path, compile=False) is not None
    assert kinpaint.pretrained("photos") is not None
