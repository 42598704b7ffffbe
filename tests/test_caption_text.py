"""join_captions: an image's captions as the one text a joined-caption model reads."""

import pytest

from kinpaint.captions import join_captions
from kinpaint.options import CAPTION_SEPARATOR


def test_captions_join_with_the_pipelines_separator():
    assert join_captions(["a red square", "a big cross"]) == "a red square" + CAPTION_SEPARATOR + "a big cross"
    assert join_captions(["un carré rouge"]) == "un carré rouge"
    assert join_captions([]) is None and join_captions(None) is None


def test_empty_or_non_text_captions_are_named_by_position():
    with pytest.raises(ValueError, match="--caption number 2 is empty"):
        join_captions(["a dog", "  "], what="--caption")
    with pytest.raises(TypeError, match="caption number 1 is a int"):
        join_captions([3])
