"""Safe file writing: nothing the user has is overwritten or half-written."""

import contextlib
import glob
import os
import tempfile


def check_can_write(path, overwrite=False, flag="--force"):
    """Raise `FileExistsError` if `path` exists and `overwrite` is false."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(
            f"{path} already exists; refusing to overwrite it "
            f"(choose another path, or pass {flag} to replace it)"
        )


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it into place only on success.

    The temporary file lives in the same folder so the final rename is atomic,
    and it is removed if the body raises.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=f".tmp{suffix}", dir=folder
    )
    os.close(handle)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def remove_stale_temporaries(path):
    """Remove the temporary files `atomic_path(path)` left behind when a run was killed
    mid-write; returns their paths."""
    path = os.fspath(path)
    pattern = os.path.join(glob.escape(os.path.dirname(os.path.abspath(path))),
                           f".{glob.escape(os.path.basename(path))}.*.tmp*")
    stale = glob.glob(pattern)
    for temporary in stale:
        os.remove(temporary)
    return stale


def numbered_lines(path):
    """Yield `(number, where, text)` for each line of a UTF-8 text file, counting from 1.

    `where` is `"<path>, line <number>"` for error messages; a line that is not UTF-8
    raises `ValueError` naming it.
    """
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}, line {number}"
            try:
                yield number, where, raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"{where}: not UTF-8 text ({error.reason})") from None
