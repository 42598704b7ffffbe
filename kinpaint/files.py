"""Safe file writing: nothing the user has is overwritten or half-written."""

import contextlib
import glob
import os
import tempfile

TEMPORARY_TAG = "?" * 8  # the random part of the names `atomic_path` gives: `.NAME.XXXXXXXX.tmpSUFFIX`


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
    and it is removed if the body raises. It gets the permissions of any new file
    (`0o666` less the umask), not `tempfile`'s private `0o600`.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=f".tmp{suffix}", dir=folder
    )
    try:
        os.fchmod(handle, 0o666 & ~current_umask())
    finally:
        os.close(handle)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_text(path, text):
    """Write `text` (UTF-8) to `path` atomically (see `atomic_path`)."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as file:
            file.write(text)


def current_umask():
    """The process's umask (read without changing it where Linux tells it)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


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


def remove_stale_temporaries_in(folder):
    """Remove every temporary file `atomic_path` left in `folder` (a folder kinpaint writes, such
    as a run's) when a run was killed mid-write; returns their paths. Only names of its form
    (`.NAME.XXXXXXXX.tmpSUFFIX`) are touched."""
    stale = glob.glob(os.path.join(glob.escape(os.fspath(folder)), f".*.{TEMPORARY_TAG}.tmp*"))
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
