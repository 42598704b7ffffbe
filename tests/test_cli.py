import subprocess
import sys

import pytest

from kinpaint.cli.main import main
from kinpaint.data.store import Store


def test_prepare_then_info_on_builtin_shapes(tmp_path, capsys):
    out = str(tmp_path / "shapes.h5")
    assert main(["prepare", "shapes", "--out", out, "--count", "train=20", "--count", "val=4", "--count", "test=6"]) == 0
    assert Store(out).splits == {"train": (0, 20), "val": (20, 24), "test": (24, 30)}
    assert main(["info", out]) == 0
    printed = capsys.readouterr().out
    assert "images: 30 of 64x64" in printed and "splits: train 20, val 4, test 6" in printed


def test_prepare_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "s.h5"
    out.write_bytes(b"precious")
    assert main(["prepare", "shapes", "--out", str(out), "--count", "train=2"]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"


def test_prepare_reports_skipped_files(tmp_path, capsys, ift6266_root):
    from conftest import write_truncated

    write_truncated(str(ift6266_root / "val2014" / "COCO_val2014_broken.jpg"))
    out = str(tmp_path / "ift.h5")
    assert main(["prepare", str(ift6266_root), "--out", out]) == 0
    printed = capsys.readouterr().out
    assert "skipped 1 file(s)" in printed and "COCO_val2014_broken.jpg" in printed


@pytest.mark.parametrize(
    "argv, message",
    [
        (["prepare", "/no/such/folder", "--out", "x.h5"], "source not found: /no/such/folder"),
        (["prepare", "shapes", "--out", "x.h5", "--count", "train"], "--count expects SPLIT=N"),
        (["info", "/no/such/store.h5"], "store not found: /no/such/store.h5"),
    ],
)
def test_errors_are_one_clear_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "kinpaint", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "prepare" in result.stdout and "info" in result.stdout


@pytest.mark.parametrize("arguments", [["--help"], ["train", "context-encoder", "--help"], ["info", "STORE"]])
def test_the_command_line_starts_without_tensorflow(shapes_store, arguments):
    arguments = [str(shapes_store) if argument == "STORE" else argument for argument in arguments]
    code = (
        "import sys, kinpaint_command\n"
        "try:\n"
        f"    code = kinpaint_command.main({arguments!r})\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        "assert code in (0, None), code\n"
        "assert 'tensorflow' not in sys.modules, 'the command line imported TensorFlow'\n"
        "assert 'KINPAINT_COMMAND_LINE' not in __import__('os').environ"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_command_freezes_what_is_alive_at_exit_so_the_last_collections_skip_it(shapes_store):
    code = (
        "import atexit, gc, sys, kinpaint_command\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count()))  # runs after the command's own hook\n"
        "if sys.argv[1] == 'run':\n"
        f"    assert kinpaint_command.main(['info', {str(shapes_store)!r}]) == 0\n"
    )
    counts = {}
    for way in ("run", "none"):
        result = subprocess.run([sys.executable, "-c", code, way], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
        counts[way] = int(result.stdout.split("frozen")[-1])
    assert counts["none"] == 0 and counts["run"] > 1000, counts


@pytest.mark.slow
def test_prepare_embeds_captions_with_a_frozen_encoder(tmp_path, capsys, text_module_dir):
    out = str(tmp_path / "shapes.h5")
    argv = ["prepare", "shapes", "--out", out, "--count", "train=6", "--embed", f"hub:{text_module_dir}"]
    assert main(argv) == 0
    store = Store(out)
    assert store.embedding_names == ("hub:tiny_text_embedding",)
    assert store.read_embeddings("hub:tiny_text_embedding", 0, 6)[0].shape[1] == 4
    assert main(["prepare", "shapes", "--out", str(tmp_path / "b.h5"), "--count", "train=2", "--embed", "bert"]) == 2
    assert "unknown caption encoder 'bert'" in capsys.readouterr().err
    assert not (tmp_path / "b.h5").exists()  # refused before any work


def test_info_photos_names_what_is_missing_and_how_to_install_it(tmp_path, capsys):
    assert main(["info", "photos", "--root", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "gcompris-qt-data" in printed and "missing; install with:" in printed
    assert "apt-get install gcompris-qt-data" in printed and "dpkg-deb -x" in printed


@pytest.mark.parametrize("arguments, message", [
    (["train", "pixel", "--epochs", "0"], "--epochs: expected an integer of at least 1, got '0'"),
    (["train", "pixel", "--steps-per-epoch", "-3"], "--steps-per-epoch: expected an integer of at least 1"),
    (["train", "pixel", "--learning-rate", "nan"], "--learning-rate: expected a finite number above 0"),
    (["train", "pixel", "--batch-size", "-5"], "--batch-size: expected an integer of at least 1"),
    (["train", "context-encoder", "--adversarial-weight", "-1"], "expected a finite number of at least 0"),
    (["evaluate", "--methods", "mean", "--count", "x"], "--count: expected an integer of at least 1, got 'x'"),
])
def test_numeric_arguments_are_checked_at_the_edge_with_their_range(arguments, message, capsys):
    command, *rest = arguments
    if command == "train":
        rest = [rest[0], "--data", "d.h5", "--out", "run", *rest[1:]]
    else:
        rest = ["--data", "shapes", "--out", "report", *rest]
    with pytest.raises(SystemExit) as stop:
        main([command, *rest])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_an_unexpected_error_is_one_line_unless_debug(monkeypatch, capsys):
    import kinpaint.cli.info as info

    def breaks(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(info, "run", breaks)
    assert main(["info", "x.h5"]) == 1
    err = capsys.readouterr().err
    assert "unexpected error: ZeroDivisionError: a bug" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "info", "x.h5"])
