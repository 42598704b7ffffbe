"""`--force` replaces only what the command made, never one of its inputs, and the output
is checked before any work: `kinpaint evaluate --out` and `kinpaint train --out` (the folder
command's cases are in test_folders.py and test_fuzz_folders.py, export's in test_export.py)."""

import os

import pytest

from kinpaint.cli.main import main
from kinpaint.files import OUTPUTS_RECORD

EVALUATE = ["evaluate", "--data", "shapes", "--methods", "mean", "--count", "3"]


@pytest.fixture
def no_evaluation(monkeypatch):
    """Any call of the evaluation fails the test: the output must be refused before any work."""
    import kinpaint.evaluation

    def evaluate(*args, **kwargs):
        raise AssertionError("the evaluation ran before --out was checked")

    monkeypatch.setattr(kinpaint.evaluation, "evaluate", evaluate)


@pytest.mark.parametrize("out, expected", [
    ("a_file", "a_file is a file; kinpaint evaluate writes a folder there"),
    ("a_file/report", "a_file/report is below .*a_file, a file"),
    ("report", "report/results.md was not written by kinpaint evaluate"),
    ("linked", "--out .*linked's results.csv is the --data store .*store.h5"),
])
def test_evaluate_out_is_checked_before_any_work(tmp_path, capsys, no_evaluation, out, expected):
    import re

    (tmp_path / "a_file").write_text("mine")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "results.md").write_text("the user's own notes")
    (tmp_path / "store.h5").write_text("a store")
    (tmp_path / "linked").mkdir()
    os.link(tmp_path / "store.h5", tmp_path / "linked" / "results.csv")
    argv = ["evaluate", "--data", str(tmp_path / "store.h5"), "--methods", "mean", "--out", str(tmp_path / out)]
    assert main([*argv, "--force"]) == 2
    assert re.search(expected, capsys.readouterr().err)
    assert (tmp_path / "a_file").read_text() == "mine"
    assert (tmp_path / "report" / "results.md").read_text() == "the user's own notes"
    assert (tmp_path / "store.h5").read_text() == "a store"


def test_evaluate_force_replaces_its_own_report(tmp_path, capsys):
    out = tmp_path / "report"
    assert main([*EVALUATE, "--out", str(out)]) == 0
    assert (out / OUTPUTS_RECORD).exists()
    assert main([*EVALUATE, "--out", str(out)]) == 2 and "already exists" in capsys.readouterr().err
    assert main([*EVALUATE, "--out", str(out), "--force"]) == 0


def test_evaluate_force_replaces_a_report_the_library_wrote(tmp_path, capsys):
    from kinpaint.evaluation import evaluate

    out = tmp_path / "report"
    evaluate("shapes", ["mean"], count=3, out=str(out), progress=False, command="the library's run")
    assert main([*EVALUATE, "--out", str(out), "--force"]) == 0, capsys.readouterr().err
    assert "the library's run" not in (out / "results.md").read_text()


def test_train_force_never_removes_its_init_model(shapes_store, tmp_path, capsys):
    from kinpaint.data import Store
    from kinpaint.models import ContextEncoder

    out = tmp_path / "run"
    out.mkdir()
    model = ContextEncoder(image_size=Store(shapes_store).image_size, widths=(4, 8, 16, 32), precision="float32")
    model.compile()
    model.save(out / "context_encoder.keras")
    saved = (out / "context_encoder.keras").read_bytes()
    argv = ["train", "context-encoder", "--data", shapes_store, "--out", str(out), "--epochs", "1",
            "--batch-size", "8", "--precision", "float32", "--captions", "none",
            "--init", str(out / "context_encoder.keras"), "--force"]
    assert main(argv) == 2
    assert "the run's context_encoder.keras in --out" in capsys.readouterr().err
    assert (out / "context_encoder.keras").read_bytes() == saved
