"""Safe file writing: nothing the user has is overwritten or half-written."""

import contextlib
import glob
import hashlib
import json
import os
import stat
import tempfile
import unicodedata

OUTPUTS_RECORD = ".kinpaint-outputs.jsonl"  # the files a command wrote into a folder (`OutputRecord`)
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
def atomic_path(path, before_rename=None):
    """Yield a temporary path beside `path`; rename it into place only on success.

    The temporary file lives in the same folder so the final rename is atomic,
    and it is removed if the body raises. It gets the permissions of any new file
    (`0o666` less the umask), not `tempfile`'s private `0o600`. `before_rename(temporary)`,
    if given, is called once the body has written the temporary file.
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
        if before_rename is not None:
            before_rename(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_text(path, text, before_rename=None):
    """Write `text` (UTF-8) to `path` atomically (see `atomic_path`, and its `before_rename`)."""
    with atomic_path(path, before_rename=before_rename) as temporary:
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


def same_file(first, second):
    """True when the two paths name one file: the same path once links are resolved, or
    hard links to one file (`os.path.samefile`)."""
    if os.path.realpath(os.fspath(first)) == os.path.realpath(os.fspath(second)):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist
        return False


def check_not_an_input(out, inputs, described=None):
    """Refuse to write `out` when it is one of the command's `inputs` (`{what: path}`; values
    that are not existing paths, such as a preset's name, are skipped) or, `out` being a
    folder, holds one of them: `--force` never replaces what the command reads.

    Raises:
        ValueError: naming `out` (as `described`, by default `--out OUT`) and the input.
    """
    out = os.fspath(out)
    described = described or f"--out {shown_path(out)}"
    for what, path in inputs.items():
        if not isinstance(path, (str, os.PathLike)) or not os.path.exists(path):
            continue
        if same_file(out, path):
            raise ValueError(f"{described} is the {what} {shown_path(path)}: a command never replaces one of its own "
                             "inputs, even with --force; choose another --out")
        if os.path.isdir(out) and _inside(path, out):
            raise ValueError(f"{described} holds the {what} {shown_path(path)}: replacing it would remove one of the "
                             "command's own inputs, even with --force; choose another --out")


def _inside(path, folder):
    path, folder = os.path.realpath(os.fspath(path)), os.path.realpath(os.fspath(folder))
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_folder(out, names, force=False, inputs=None, command="kinpaint", flag="--out"):
    """Check, before any work, that a command can write the files `names` into the folder `out`:

    `out` is a folder or can be made one (no file in its place or above it), it exists only
    with `force`, none of `out/NAME` is one of `inputs` (`{what: path}`, see
    `check_not_an_input`), and with `force` each existing `out/NAME` is a file that `command`
    wrote there (its `OutputRecord`): a file the user had is never replaced.

    Returns:
        the folder's `OutputRecord`, to record each file as it is written (`writing`, `recorder`).

    Raises:
        NotADirectoryError, FileExistsError, ValueError: naming the path.
    """
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"{flag} {shown_path(out)} is a file; {command} writes a folder there "
                                 f"({', '.join(names)}): choose another {flag}")
    _check_parent_folder(out, flag)
    check_can_write(out, force)
    record = OutputRecord(out, command)
    for name in names:
        path = os.path.join(out, name)
        check_not_an_input(path, inputs or {}, described=f"{flag} {shown_path(out)}'s {name}")
        if os.path.lexists(path):
            record.check_replaceable(path)
    return record


def _check_parent_folder(path, flag="--out"):
    """Refuse a folder path that cannot be written, or whose nearest existing folder above it
    is a file or cannot be written."""
    parent = os.path.abspath(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise NotADirectoryError(f"{flag} {shown_path(path)} is below {shown_path(parent)}, a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{flag} {shown_path(path)}: {shown_path(parent)} cannot be written")


class OutputRecord:
    """Which files below `folder` the command `command` (such as `"kinpaint inpaint"`) wrote,
    so that a rerun skips them and `--force` replaces them, and never a file it did not write
    (one the user had, one another command wrote, or one changed since).

    It is kept in `folder/.kinpaint-outputs.jsonl`, one JSON line a file written:
    `{"file": path relative to folder, "size": bytes, "sha256": hex digest, "command": ...}`;
    the last line of a file counts. `writing(path)` appends the line once the file is written under its
    temporary name and before it is renamed into place, in one `write` call, so a kill leaves
    a file with its line, or a line whose file is missing (not written: done again); a cut
    last line is ignored.
    """

    def __init__(self, folder, command="kinpaint"):
        self.folder, self.command = os.fspath(folder), command
        self.path = os.path.join(self.folder, OUTPUTS_RECORD)
        self.entries = {}
        if os.path.isfile(self.path):
            with open(self.path, "rb") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                        self.entries[entry["file"]] = (int(entry["size"]), str(entry["sha256"]),
                                                       entry.get("command"))
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut by a kill, or not one of ours

    def state(self, path):
        """`"missing"`, `"written"` (the file the command wrote, unchanged), `"changed"` (written
        by the command, then changed) or `"foreign"` (not written by the command)."""
        path = os.fspath(path)
        if not os.path.lexists(path):
            return "missing"
        recorded = self.entries.get(self._name(path))
        if recorded is None or recorded[2] != self.command or os.path.islink(path) or not os.path.isfile(path):
            return "foreign"
        size, digest, _ = recorded
        if os.path.getsize(path) != size or _sha256(path) != digest:
            return "changed"
        return "written"

    def refusal(self, path):
        """Why `path` must be left alone (a file the command did not write, or changed since), or `None`."""
        state = self.state(path)
        if state == "foreign":
            return (f"{shown_path(path)} was not written by {self.command} (it is not in {shown_path(self.path)} as "
                    "its own); it is left as it is, even with --force: move it away or choose another --out")
        if state == "changed":
            return (f"{shown_path(path)} has changed since {self.command} wrote it; it is left as it is, even with "
                    "--force: move it away or choose another --out")
        return None

    def check_replaceable(self, path):
        """Raise `FileExistsError` when `path` exists and `refusal` says why it must be left alone."""
        reason = self.refusal(path)
        if reason is not None:
            raise FileExistsError(reason)

    @contextlib.contextmanager
    def writing(self, path):
        """`atomic_path(path)`, recording the file before it is renamed into place."""
        with atomic_path(path, before_rename=self.recorder(path)) as temporary:
            yield temporary

    def recorder(self, path):
        """The `before_rename` of an `atomic_path(path)` that records the file (see `writing`),
        for a writer that makes its own temporary file, such as `kinpaint.images.save_image`."""
        return lambda temporary: self._record(path, temporary)

    def _record(self, path, written):
        name, size, digest = self._name(path), os.path.getsize(written), _sha256(written)
        line = json.dumps({"file": name, "size": size, "sha256": digest, "command": self.command}) + "\n"
        os.makedirs(self.folder, exist_ok=True)
        handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode) or status.st_nlink > 1:  # never append to a file of the user's
                raise OSError(f"{shown_path(self.path)} is not kinpaint's record (a link, or not a plain file)")
            os.write(handle, line.encode("ascii"))  # one write: a kill cuts at most this line
        finally:
            os.close(handle)
        self.entries[name] = (size, digest, self.command)

    def _name(self, path):
        return os.path.relpath(os.path.abspath(os.fspath(path)), os.path.abspath(self.folder)).replace(os.sep, "/")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def shown_path(path):
    """A path as one printable line: control and format characters escaped as Python writes
    them (`\\n`, `\\x1b`, `\\u202e`), a byte that is not UTF-8 (a surrogate escape) as `\\xNN`, a
    backslash doubled; other characters as they are."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    shown = []
    for character in text:
        code = ord(character)
        if character in _ESCAPES:
            shown.append(_ESCAPES[character])
        elif 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for the byte code - 0xDC00
            shown.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            shown.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            shown.append(character)
    return "".join(shown)
