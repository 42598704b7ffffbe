"""Read word vectors from the usual text formats (GloVe, word2vec text)."""

import collections

import numpy as np

from kinpaint.files import numbered_lines

WordVectors = collections.namedtuple("WordVectors", "words vectors duplicates")


def load_word_vectors(path, dimension=None, limit=None):
    """Read `word v1 v2 ... vD` lines, GloVe style, or word2vec text with its `count D` header.

    Words are lower-cased, as kinpaint's tokeniser does; when that makes two entries
    equal the first is kept (files list frequent words first) and the rest are counted.

    Args:
        path: the text file.
        dimension: the expected D; `None` takes it from the header or the first line.
        limit: read at most this many words.

    Returns:
        `WordVectors(words, vectors (N, D) float32, duplicates)`.

    Raises:
        FileNotFoundError, or ValueError naming the file and line of a ragged line,
        a wrong dimension, a value that is not a number or text that is not UTF-8.
    """
    words, rows, seen, duplicates = [], [], set(), 0
    for number, where, text in numbered_lines(path):
        if limit is not None and len(words) >= limit:
            break
        parts = text.split()
        if not parts:
            continue
        if number == 1 and len(parts) == 2 and all(part.isdigit() for part in parts):
            header_dimension = int(parts[1])  # word2vec: "count dimension"
            if dimension is not None and dimension != header_dimension:
                raise ValueError(f"{where}: header says dimension {header_dimension}, expected {dimension}")
            dimension = header_dimension
            continue
        word, values = parts[0].lower(), parts[1:]
        if not values:
            raise ValueError(f"{where}: word {parts[0]!r} has no vector")
        if dimension is None:
            dimension = len(values)
        if len(values) != dimension:
            raise ValueError(
                f"{where}: word {parts[0]!r} has {len(values)} values, expected {dimension} "
                "(a ragged line, or a file of another dimension)"
            )
        try:
            row = np.array(values, dtype=np.float32)
        except ValueError:
            bad = next(value for value in values if not _is_number(value))
            raise ValueError(f"{where}: {bad!r} in the vector of {parts[0]!r} is not a number") from None
        if not np.isfinite(row).all():
            raise ValueError(f"{where}: the vector of {parts[0]!r} holds NaN or infinity")
        if word in seen:
            duplicates += 1
            continue
        seen.add(word)
        words.append(word)
        rows.append(row)
    if not words:
        raise ValueError(f"{path} holds no word vectors")
    return WordVectors(words, np.stack(rows), duplicates)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
