"""A folder of pictures, with or without captions.jsonl (`kinpaint.data.folder`)."""

import json

import pytest

from conftest import write_image
from kinpaint.data.folder import FolderReader


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
