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
