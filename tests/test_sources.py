"""Telling the on-disk layouts apart (`kinpaint.data.sources`; fixtures built in conftest)."""

import pytest

from kinpaint.data.sources import detect_format, open_reader


def test_format_detection(tmp_path, ift6266_root, coco_root):
    assert detect_format(str(ift6266_root)) == "ift6266"
    assert detect_format(str(coco_root)) == "coco"
    assert detect_format(str(tmp_path)) == "folder"
    assert detect_format("shapes") == "shapes"
    with pytest.raises(FileNotFoundError, match="source not found"):
        detect_format(str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="unknown format"):
        open_reader(str(tmp_path), format="tfrecord")
