"""The IFT6266 layout and its bad inputs (`kinpaint.data.ift6266`; fixtures built in conftest)."""

import os
import pickle

import numpy as np
import pytest

from conftest import write_image, write_truncated
from kinpaint.data.ift6266 import IFT6266Reader, load_caption_pickle


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


class RunsCode:
    """A pickle payload that would write a file if loading it ran code."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_caption_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    import pickle

    from kinpaint.data.ift6266 import load_caption_pickle

    target = tmp_path / "pwned.txt"
    path = tmp_path / "captions.pkl"
    with open(path, "wb") as handle:
        pickle.dump({"COCO_train2014_000000000001": [RunsCode(str(target))]}, handle, protocol=2)
    with pytest.raises(ValueError, match=r"captions.pkl.*asks to call .*open.*plain data only"):
        load_caption_pickle(str(path))
    assert not target.exists()
