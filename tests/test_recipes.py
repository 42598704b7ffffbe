"""The training recipes: what they refuse before any work."""

import pytest

from kinpaint.recipes import train
from kinpaint.run_config import RunConfig


@pytest.mark.parametrize("force", [False, True])
def test_a_run_folder_of_another_model_is_refused_even_with_force(tmp_path, force):
    out = tmp_path / "run"
    out.mkdir()
    (out / "context_encoder.keras").write_bytes(b"the user's model")
    (out / "history.csv").write_text("epoch,loss\n0,1.0\n")
    with pytest.raises(FileExistsError, match="another model's run \\(context_encoder.keras\\)"):
        train(RunConfig("pixel", str(tmp_path / "missing.h5"), str(out), force=force))
    assert (out / "context_encoder.keras").read_bytes() == b"the user's model"
    assert (out / "history.csv").read_text() == "epoch,loss\n0,1.0\n"


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("name", ["history.csv", "loss.png", "evaluation.md"])
@pytest.mark.slow
def test_a_run_file_the_run_did_not_write_is_kept_even_with_force(tmp_path, force, name):
    from kinpaint.data import open_reader, write_store

    data = tmp_path / "s.h5"
    write_store(str(data), open_reader("shapes", counts={"train": 8}), progress=False)
    out = tmp_path / "run"
    out.mkdir()
    (out / name).write_bytes(b"the user's own file")
    with pytest.raises(FileExistsError, match=f"{name} .*(does not|was not written by kinpaint train)"):
        train(RunConfig("context-encoder", str(data), str(out), force=force))
    assert (out / name).read_bytes() == b"the user's own file"
