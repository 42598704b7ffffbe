"""Read the files packed in a Qt binary resource file (`.rcc`), without Qt.

The format, as written by Qt's resource compiler (qtbase `src/tools/rcc/rcc.cpp`,
`RCCResourceLibrary::writeHeader`, `writeDataBlobs`, `writeDataNames`,
`writeDataStructure` and `RCCFileInfo::writeDataInfo`) and read by
`src/corelib/io/qresource.cpp` (`QResourceRoot`), all integers big-endian:

- header: `b"qres"`, version (u32, 1 to 3), then the offsets (u32, from the start of
  the file) of the tree, the data and the names; version 3 adds the overall flags (u32).
- tree: nodes of 14 bytes (version 1) or 22 bytes (version 2 and later, which end with
  a u64 last-modified time in ms), node 0 being the root directory. A node is its name's
  offset in the names (u32) and flags (u16), then for a directory (flag 2) its child count
  (u32) and the index of its first child (u32), the children being consecutive nodes; for
  a file its territory (u16), language (u16) and its data's offset in the data (u32).
- names: a length in UTF-16 code units (u16), the name's hash (u32), the UTF-16BE name.
- data: a length (u32) then that many bytes. Flag 1: zlib, the bytes being `qCompress`'s
  output (the u32 uncompressed size, then a zlib stream); flag 4: a zstd frame.

Entries are named by their path from the root, `"a/b/c.png"`. A file may hold the same
path for several locales; the first one is kept. zstd needs the `zstandard` package
(`pip install "kinpaint[photos]"`), imported only when a zstd entry is read.
"""

import functools
import os
import struct
import zlib

MAGIC = b"qres"
COMPRESSED_ZLIB = 0x01
DIRECTORY = 0x02
COMPRESSED_ZSTD = 0x04


class ResourceFormatError(ValueError):
    """A file that is not a readable Qt resource file."""


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError as error:
        raise FileNotFoundError(f"{path}: cannot read the Qt resource file ({error})") from error


def list_resources(path):
    """The paths of the files (not directories) in the Qt resource file `path`, sorted."""
    path = os.fspath(path)
    return sorted(_tree(path, _mtime(path)))


def read_resource(path, entry):
    """The bytes of `entry` (`"a/b/c.png"`) of the Qt resource file `path`, decompressed."""
    path = os.fspath(path)
    entries = _tree(path, _mtime(path))
    key = entry.strip("/")
    if key not in entries:
        raise KeyError(f"{path}: no entry {entry!r} in this Qt resource file")
    flags, start, size = entries[key]
    with open(path, "rb") as file:
        file.seek(start)
        raw = file.read(size)
    if len(raw) != size:
        raise ResourceFormatError(f"{path}: truncated Qt resource file (entry {entry!r})")
    try:
        if flags & COMPRESSED_ZSTD:
            return _zstd_decompress(raw)
        if flags & COMPRESSED_ZLIB:
            if len(raw) < 4:
                raise ValueError("no uncompressed size")
            (expected,) = struct.unpack(">I", raw[:4])
            data = zlib.decompress(raw[4:])
            if len(data) != expected:
                raise ValueError(f"{len(data)} bytes decompressed, {expected} announced")
            return data
    except ModuleNotFoundError:
        raise
    except Exception as error:  # zlib.error, zstandard.ZstdError, ValueError
        raise ResourceFormatError(
            f"{path}: entry {entry!r} cannot be decompressed ({error})"
        ) from error
    return raw


def _zstd_decompress(raw):
    try:
        import zstandard
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "reading zstd-compressed Qt resources needs the zstandard package; "
            'install it with: pip install "kinpaint[photos]"'
        ) from error
    # rcc writes the frame's content size, but stream_reader works without it too.
    return zstandard.ZstdDecompressor().stream_reader(raw).read()


@functools.lru_cache(maxsize=256)
def _tree(path, mtime):
    """{entry path: (flags, absolute offset of the bytes, their length)}; `mtime` keys the cache."""
    del mtime
    with open(path, "rb") as file:
        blob = file.read()
    if blob[:4] != MAGIC:
        raise ResourceFormatError(f"{path}: not a Qt resource file (no 'qres' header)")

    def unpack(fmt, offset, what):
        end = offset + struct.calcsize(fmt)
        if offset < 0 or end > len(blob):
            raise ResourceFormatError(f"{path}: truncated Qt resource file ({what})")
        return struct.unpack_from(fmt, blob, offset)

    version, tree, data, names = unpack(">IIII", 4, "header")
    if not 1 <= version <= 3:
        raise ResourceFormatError(f"{path}: unsupported Qt resource format version {version}")
    node_size = 14 if version == 1 else 22

    def name_of(node):
        (offset,) = unpack(">I", tree + node * node_size, "tree")
        (length,) = unpack(">H", names + offset, "names")
        start = names + offset + 6
        if start + 2 * length > len(blob):
            raise ResourceFormatError(f"{path}: truncated Qt resource file (names)")
        return blob[start:start + 2 * length].decode("utf-16-be", errors="replace")

    entries = {}
    stack = [(0, "")]
    seen = set()
    while stack:
        node, prefix = stack.pop()
        if node in seen:  # a corrupt tree could loop
            raise ResourceFormatError(f"{path}: corrupt Qt resource tree (node {node} twice)")
        seen.add(node)
        base = tree + node * node_size
        (flags,) = unpack(">H", base + 4, "tree")
        if flags & DIRECTORY:
            count, first = unpack(">II", base + 6, "tree")
            if (first + count) * node_size + tree > len(blob):
                raise ResourceFormatError(f"{path}: truncated Qt resource file (tree)")
            for child in range(first, first + count):
                name = name_of(child)
                stack.append((child, f"{prefix}/{name}" if prefix else name))
        elif node != 0:
            (offset,) = unpack(">I", base + 10, "tree")
            (size,) = unpack(">I", data + offset, "data")
            start = data + offset + 4
            if start + size > len(blob):
                raise ResourceFormatError(f"{path}: truncated Qt resource file (data of {prefix!r})")
            entries.setdefault(prefix, (flags, start, size))
    return entries
