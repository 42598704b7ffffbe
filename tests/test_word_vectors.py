"""Reading GloVe and word2vec text files (`kinpaint.captions.word_vectors`)."""

import numpy as np
import pytest

from kinpaint.captions import load_word_vectors


def write_text(path, text):
    with open(path, "wb") as file:
        file.write(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def test_glove_and_word2vec_text_files_load(tmp_path):
    glove = write_text(tmp_path / "glove.txt", "the 1 0 0\nred 0 1 0\nDog 0 0 1\ndog 5 5 5\n\n")
    loaded = load_word_vectors(glove)
    assert loaded.words == ["the", "red", "dog"] and loaded.duplicates == 1
    np.testing.assert_array_equal(loaded.vectors[2], [0, 0, 1])
    word2vec = write_text(tmp_path / "w2v.txt", "2 3\nred 0 1 0\ndog 0 0 1\n")
    assert load_word_vectors(word2vec).words == ["red", "dog"]
    assert load_word_vectors(glove, limit=2).words == ["the", "red"]


@pytest.mark.parametrize("content, message", [
    ("red 0 1 0\ndog 0 1\n", r"line 2: word 'dog' has 2 values, expected 3 \(a ragged line"),
    ("red 0 1 0\ndog\n", r"line 2: word 'dog' has no vector"),
    ("red 0 x 0\n", r"line 1: 'x' in the vector of 'red' is not a number"),
    ("red 0 nan 0\n", r"line 1: the vector of 'red' holds NaN"),
    ("2 4\nred 0 1 0\n", r"line 2: word 'red' has 3 values, expected 4"),
    (b"red 0 1\n\xffdog 1 0\n", r"line 2: not UTF-8"),
    ("\n\n", r"holds no word vectors"),
])
def test_bad_word_vector_files_name_file_and_line(tmp_path, content, message):
    path = write_text(tmp_path / "vectors.txt", content)
    with pytest.raises(ValueError, match=message) as error:
        load_word_vectors(path)
    assert str(error.value).startswith(path)


def test_word_vector_file_of_another_dimension_is_refused(tmp_path):
    path = write_text(tmp_path / "vectors.txt", "red 0 1 0\n")
    with pytest.raises(ValueError, match="expected 50"):
        load_word_vectors(path, dimension=50)
    with pytest.raises(FileNotFoundError):
        load_word_vectors(tmp_path / "missing.txt")
