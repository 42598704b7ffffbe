"""The built-in datasets as a reader (`kinpaint.data.builtin`)."""

import pytest

from kinpaint.data.builtin import BuiltinReader


def test_builtin_reader_yields_every_split():
    reader = BuiltinReader("shapes", counts={"train": 3, "val": 2, "test": 1})
    examples = list(reader)
    assert len(reader) == 6
    assert [e.split for e in examples] == ["train"] * 3 + ["val"] * 2 + ["test"]
    with pytest.raises(ValueError, match="unknown built-in dataset"):
        BuiltinReader("mnist")
