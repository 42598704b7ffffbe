"""The Qt resource (.rcc) reader, on tiny resource files written here."""

import os
import struct
import zlib

import pytest

from kinpaint.data.corpus import qt_resources
from kinpaint.data.corpus.qt_resources import (
    ResourceFormatError,
    list_resources,
    read_resource,
)


def write_rcc(path, files, version=3):
    """A Qt resource file holding `files` ({"a/b.txt": (bytes, "none" | "zlib" | "zstd")}), as Qt's rcc lays it out."""
    tree = {}
    for name, content in files.items():
        node = tree
        parts = name.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = content
    names, name_offsets, data = bytearray(), {}, bytearray()

    def name_offset(name):
        if name not in name_offsets:
            name_offsets[name] = len(names)
            encoded = name.encode("utf-16-be")
            names.extend(struct.pack(">HI", len(encoded) // 2, 0) + encoded)
        return name_offsets[name]

    # Breadth first: a directory's children are consecutive nodes.
    nodes = [("", tree)]
    records = []
    index = 0
    while index < len(nodes):
        name, value = nodes[index]
        offset = name_offset(name) if index else 0
        if isinstance(value, dict):
            children = sorted(value.items())
            records.append(struct.pack(">IHII", offset, 2, len(children), len(nodes)))
            nodes += children
        else:
            content, method = value
            flags = 0
            if method == "zlib":
                flags, content = 1, struct.pack(">I", len(content)) + zlib.compress(content)
            elif method == "zstd":
                import zstandard

                flags, content = 4, zstandard.ZstdCompressor().compress(content)
            records.append(struct.pack(">IHHHI", offset, flags, 0, 0, len(data)))
            data += struct.pack(">I", len(content)) + content
        if version >= 2:
            records[-1] += struct.pack(">Q", 0)
        index += 1
    header_size = 24 if version >= 3 else 20
    data_offset = header_size
    names_offset = data_offset + len(data)
    tree_offset = names_offset + len(names)
    header = b"qres" + struct.pack(">IIII", version, tree_offset, data_offset, names_offset)
    if version >= 3:
        header += struct.pack(">I", 0)
    with open(path, "wb") as file:
        file.write(header + bytes(data) + bytes(names) + b"".join(records))
    return path


@pytest.mark.parametrize("version", [1, 2, 3])
def test_lists_and_reads_entries(tmp_path, version):
    path = write_rcc(tmp_path / "x.rcc", {
        "top/plain.txt": (b"plain bytes", "none"),
        "top/sub/packed.txt": (b"zlib " * 50, "zlib"),
        "root.bin": (b"\x00\x01\x02", "none"),
    }, version=version)
    assert list_resources(path) == ["root.bin", "top/plain.txt", "top/sub/packed.txt"]
    assert read_resource(path, "top/plain.txt") == b"plain bytes"
    assert read_resource(path, "top/sub/packed.txt") == b"zlib " * 50
    assert read_resource(str(path), "/root.bin") == b"\x00\x01\x02"


def test_reads_zstd_entries(tmp_path):
    pytest.importorskip("zstandard", reason="zstd entries need the zstandard package (kinpaint[photos])")
    path = write_rcc(tmp_path / "z.rcc", {"a/z.txt": (b"zstd " * 40, "zstd"), "a/p.txt": (b"p", "none")})
    assert read_resource(path, "a/z.txt") == b"zstd " * 40


def test_missing_zstandard_names_the_extra(tmp_path, monkeypatch):
    pytest.importorskip("zstandard", reason="writing the zstd entry needs zstandard")
    path = write_rcc(tmp_path / "z.rcc", {"z.txt": (b"zstd", "zstd")})
    import builtins

    real_import = builtins.__import__

    def no_zstandard(name, *args, **kwargs):
        if name == "zstandard":
            raise ModuleNotFoundError("No module named 'zstandard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_zstandard)
    with pytest.raises(ModuleNotFoundError, match=r"kinpaint\[photos\]"):
        read_resource(path, "z.txt")


def test_missing_entry_names_the_file(tmp_path):
    path = write_rcc(tmp_path / "x.rcc", {"a.txt": (b"a", "none")})
    with pytest.raises(KeyError, match="x.rcc.*nothere.txt"):
        read_resource(path, "nothere.txt")


def test_not_an_rcc_file(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a resource file")
    with pytest.raises(ResourceFormatError, match="photo.jpg.*not a Qt resource file"):
        list_resources(path)


def test_truncated_file(tmp_path):
    path = write_rcc(tmp_path / "x.rcc", {"a/b.txt": (b"b" * 100, "none")})
    blob = path.read_bytes()
    short = tmp_path / "short.rcc"
    short.write_bytes(blob[:-10])  # the tree is at the end
    with pytest.raises(ResourceFormatError, match="short.rcc.*truncated"):
        list_resources(short)


def test_corrupt_zlib_entry(tmp_path):
    path = write_rcc(tmp_path / "x.rcc", {"a.txt": (b"hello " * 20, "zlib")})
    blob = bytearray(path.read_bytes())
    start = 24 + 4 + 4  # header, length, uncompressed size: the zlib stream
    blob[start + 2:start + 8] = b"\xff" * 6
    path.write_bytes(bytes(blob))
    os.utime(path, ns=(1, 1))  # a new mtime: the cached tree is not reused
    with pytest.raises(ResourceFormatError, match="x.rcc.*a.txt.*cannot be decompressed"):
        read_resource(path, "a.txt")


def test_tree_is_cached_per_mtime(tmp_path):
    path = write_rcc(tmp_path / "x.rcc", {"a.txt": (b"a", "none")})
    qt_resources._tree.cache_clear()
    list_resources(path)
    list_resources(path)
    assert qt_resources._tree.cache_info().hits == 1
    write_rcc(path, {"b.txt": (b"b", "none")})
    os.utime(path, ns=(10**18, 10**18))
    assert list_resources(path) == ["b.txt"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.rcc"):
        list_resources(tmp_path / "nope.rcc")
