"""The three on-disk layouts and their bad inputs (fixtures built in conftest)."""

import json
import os
import pickle

import numpy as np
import pytest

from conftest import write_image, write_truncated
from kinpaint.data.coco import CocoReader
from kinpaint.data.folder import FolderReader
from kinpaint.data.ift6266 import IFT6266Reader, load_caption_pickle
from kinpaint.data.sources import detect_format, open_reader


def test_ift6266_reads_splits_and_python2_captions(ift6266_root):
    reader = IFT6266Reader(str(ift6266_root))
    examples = list(reader)
    assert [example.split for example in examples] == ["train"] * 3 + ["val"] * 2
    first = examples[0]
    assert first.name == "COCO_train2014_000000000000"
    assert first.image.shape == (64, 64, 3) and first.image.dtype == np.uint8
    assert first.captions[0] == "caption 0 of COCO_train2014_000000000000"
    assert len(first.captions) == 5
    assert reader.report.num_skipped == 0


def test_ift6266_skips_bad_files_and_says_why(ift6266_root):
    write_image(str(ift6266_root / "train2014" / "COCO_train2014_wrong.jpg"), size=80)
    write_truncated(str(ift6266_root / "train2014" / "COCO_train2014_cut.jpg"))
    write_image(str(ift6266_root / "train2014" / "COCO_train2014_nocaption.jpg"))
    table_path = ift6266_root / "dict_key_imgID_value_caps_train_and_valid.pkl"
    table = pickle.load(open(table_path, "rb"), encoding="bytes")
    table[b"COCO_train2014_wrong"] = [b"a caption"]
    table[b"COCO_train2014_cut"] = [b"a caption"]
    table[b"COCO_train2014_000000000001"] = [b"", b"   ", b"\xff\xfe not utf-8", "caf\u00e9 au lait".encode()]
    table[b"COCO_train2014_000000000002"] = [b"", b"\xff"]
    pickle.dump(table, open(table_path, "wb"), protocol=2)

    reader = IFT6266Reader(str(ift6266_root))
    examples = {example.name: example for example in reader}
    report = reader.report
    assert examples["COCO_train2014_000000000001"].captions == ["caf\u00e9 au lait"]
    assert "COCO_train2014_000000000002" not in examples
    reasons = {reason: names for reason, names in report.skipped.items()}
    assert any(name.endswith("COCO_train2014_wrong.jpg") for name in reasons["wrong size: expected 64x64, got 80x80"])
    assert any(name.endswith("COCO_train2014_cut.jpg") for name in reasons["unreadable or truncated image"])
    assert any(name.endswith("COCO_train2014_nocaption.jpg") for name in reasons["no caption entry"])
    assert report.num_skipped == 4
    assert report.dropped_captions == {"empty": 3, "not valid UTF-8": 2}
    summary = report.summary()
    assert "skipped 4 file(s)" in summary and "COCO_train2014_cut.jpg" in summary


def test_ift6266_missing_pieces_are_named(tmp_path, ift6266_root):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        IFT6266Reader(str(tmp_path / "nowhere"))
    os.remove(ift6266_root / "dict_key_imgID_value_caps_train_and_valid.pkl")
    with pytest.raises(FileNotFoundError, match=r"exactly one caption pickle"):
        IFT6266Reader(str(ift6266_root))


def test_corrupt_pickle_is_named(tmp_path):
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"\x80\x02not a pickle at all")
    with pytest.raises(ValueError, match=r"broken\.pkl: not a readable caption pickle"):
        load_caption_pickle(str(path))
    path.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match=r"broken\.pkl: expected a dict"):
        load_caption_pickle(str(path))


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


def test_folder_without_captions_uses_split_folders(tmp_path):
    write_image(str(tmp_path / "pics" / "a.png"), seed=1)
    write_image(str(tmp_path / "pics" / "test" / "b.jpg"), seed=2, size=100)
    write_image(str(tmp_path / "pics" / "nested" / "c.png"), seed=3, mode="LA")
    reader = FolderReader(str(tmp_path / "pics"), size=64)
    examples = {example.name: example for example in reader}
    assert {name: example.split for name, example in examples.items()} == {"a": "train", "c": "train", "b": "test"}
    assert all(example.captions == [] for example in examples.values())
    assert reader.report.converted == {"resized": 1, "grayscale->RGB": 1}


def test_folder_with_captions_jsonl(tmp_path):
    root = tmp_path / "pics"
    write_image(str(root / "a.png"), seed=1)
    write_image(str(root / "b.png"), seed=2)
    lines = [
        json.dumps({"file": "a.png", "captions": ["a red thing", "", "\u7ea2\u8272\u7684\u4e1c\u897f \U0001F34E"]}),
        json.dumps({"file": "gone.png", "captions": ["no such file"]}),
    ]
    (root / "captions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reader = FolderReader(str(root))
    examples = list(reader)
    assert [example.name for example in examples] == ["a"]
    assert examples[0].captions == ["a red thing", "\u7ea2\u8272\u7684\u4e1c\u897f \U0001F34E"]
    assert reader.report.dropped_captions == {"empty": 1}
    assert any(name.endswith("b.png") for name in reader.report.skipped["no caption entry"])
    assert "1 caption entr(ies) name no image file" in reader.report.summary()


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"file": "a.png", "captions": ["ok"]}\n{"file": broken\n', r"captions\.jsonl, line 2: not valid JSON"),
        (b'{"file": "a.png", "captions": ["\xff"]}\n', r"captions\.jsonl, line 1: not UTF-8"),
        (b'{"name": "a.png"}\n', r"captions\.jsonl, line 1: expected"),
    ],
)
def test_folder_bad_captions_file_names_file_and_line(tmp_path, content, message):
    write_image(str(tmp_path / "a.png"))
    (tmp_path / "captions.jsonl").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        FolderReader(str(tmp_path))


def test_format_detection(tmp_path, ift6266_root, coco_root):
    assert detect_format(str(ift6266_root)) == "ift6266"
    assert detect_format(str(coco_root)) == "coco"
    assert detect_format(str(tmp_path)) == "folder"
    assert detect_format("shapes") == "shapes"
    with pytest.raises(FileNotFoundError, match="source not found"):
        detect_format(str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="unknown format"):
        open_reader(str(tmp_path), format="tfrecord")
