"""The MSCOCO layout and its bad inputs (`kinpaint.data.coco`; fixtures built in conftest)."""

import json

import pytest

from conftest import write_image
from kinpaint.data.coco import CocoReader


def test_coco_crops_resizes_and_groups_captions(coco_root):
    reader = CocoReader.from_root(str(coco_root), size=32)
    examples = list(reader)
    assert len(examples) == 3
    assert all(example.image.shape == (32, 32, 3) for example in examples)
    assert all(example.split == "train" for example in examples)
    assert examples[1].captions == [f"photo 1 caption {k}" for k in range(5)]
    assert reader.report.converted["resized"] == 3


def test_coco_image_without_annotation_or_file_is_skipped(coco_root):
    annotations = coco_root / "annotations" / "captions_train2014.json"
    data = json.loads(annotations.read_text())
    data["images"].append({"id": 7, "file_name": "uncaptioned.jpg"})
    data["images"].append({"id": 8, "file_name": "missing.jpg"})
    data["annotations"].append({"image_id": 8, "id": 99, "caption": "a missing picture"})
    annotations.write_text(json.dumps(data))
    write_image(str(coco_root / "train2014" / "uncaptioned.jpg"))
    reader = CocoReader.from_root(str(coco_root))
    assert len(list(reader)) == 3
    assert any(name.endswith("uncaptioned.jpg") for name in reader.report.skipped["no caption entry"])
    assert any(name.endswith("missing.jpg") for name in reader.report.skipped["file missing"])


def test_coco_bad_annotation_file_is_named(coco_root):
    annotations = coco_root / "annotations" / "captions_train2014.json"
    annotations.write_text("{not json")
    with pytest.raises(ValueError, match=r"captions_train2014\.json: not valid JSON"):
        CocoReader.from_root(str(coco_root))
    annotations.write_bytes(b'{"images": [], "annotations": [{"caption": "\xff"}]}')
    with pytest.raises(ValueError, match=r"captions_train2014\.json: not UTF-8"):
        CocoReader.from_root(str(coco_root))
