"""Fuzz (issue 19): a few hundred seeded bad inputs through every command and the Python API.

Every case must end in success (exit 0, every output whole) or a clear error (exit 2 and one
line naming the culprit; from the Python API an exception of the kinds the command line
reports, with a message a user can act on). Never a traceback or TensorFlow's internals,
never a partial output file, never a changed input: every input is hashed before and after.

The bad inputs are random byte changes of valid PNG, JPEG, `.keras`, store (`.h5`),
`captions.jsonl`, COCO JSON and caption-pickle files built here, damaged members of a valid
`.keras` archive, hand-made hostile values (paths that leave the dataset, a pickle that asks to
run code, a decompression bomb), and out-of-range arguments. Most cases run in this process
through `kinpaint.cli.main.main(argv)`; a handful through the real `kinpaint` command.

The verdicts per command are printed at the end of the session (whatever `-s` says).
"""

import collections
import contextlib
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
import traceback
import zipfile

import numpy as np
import pytest
from PIL import Image
from fuzz_tally import print_tally
from test_ift6266 import RunsCode  # a pickle payload that would write a file if loading it ran code

from kinpaint.cli.main import main

SEED = 19
OK, CLEAR, SILENT, TRACEBACK, CRYPTIC, PARTIAL, CHANGED = (
    "ok", "clear error", "silent wrong result", "traceback", "cryptic message", "partial output", "changed input")
VERDICTS = (OK, CLEAR, SILENT, TRACEBACK, CRYPTIC, PARTIAL, CHANGED)
GOOD = (OK, CLEAR)
# Text that only TensorFlow's or Python's internals write: a user cannot act on it.
INTERNALS = ("Traceback", "Graph execution error", "{{function_node", "in user code", "[Op:", "Detected at node",
             "object has no attribute", "unsupported operand", "NoneType", "index out of range", "range() arg",
             "Invalid dtype", "could not convert", "Cannot convert", "Incompatible shapes", "Invalid value in tensor")
# What the command line reports as one line with exit code 2 (kinpaint.cli.main.USER_ERRORS).
CLEAR_EXCEPTIONS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError,
                    ValueError, TypeError, KeyError, ModuleNotFoundError)
SIZE = 16  # side of the store's images and of the tiny model
WORDS = ["a red square", "a blue disc", "two dots", "a line"]

TALLY = collections.defaultdict(collections.Counter)  # command -> verdict -> cases


@pytest.fixture(scope="session", autouse=True)
def fuzz_summary(request):
    """Print the verdicts per command when the session ends, also without `-s`."""
    yield
    print_tally(request, "fuzz cases per command", "command", TALLY, VERDICTS, width=10)


# Building the valid inputs.


def picture(seed, size=20):
    """A smooth random picture (JPEG keeps it recognisable)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((size, size), Image.BILINEAR))


def save_picture(path, pixels, format=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, format=format)
    return path


@pytest.fixture(scope="session")
def valid(tmp_path_factory):
    """Valid files of every input format, and a tiny trained run; never changed by a case."""
    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import write_store

    root = tmp_path_factory.mktemp("valid")
    files = {}
    files["png"] = save_picture(str(root / "picture.png"), picture(1, 24))
    files["jpg"] = save_picture(str(root / "picture.jpg"), picture(2, 24))
    mask = np.zeros((24, 24, 3), np.uint8)
    mask[8:16, 8:16] = 255
    files["mask"] = save_picture(str(root / "mask.png"), mask)

    folder = root / "folder"
    entries = []
    for index in range(6):
        name = f"{'val/' if index == 5 else ''}picture_{index}.{'jpg' if index % 2 else 'png'}"
        save_picture(str(folder / name), picture(10 + index))
        entries.append({"file": name, "captions": [f"picture number {index}", "a smooth blur"]})
    with open(folder / "captions.jsonl", "w") as handle:
        handle.writelines(json.dumps(entry) + "\n" for entry in entries)
    files["folder"] = str(folder)

    coco = root / "coco"
    images, annotations = [], []
    for index in range(4):
        name = f"COCO_train2014_{index:012d}.jpg"
        save_picture(str(coco / "train2014" / name), picture(20 + index, 24))
        images.append({"id": 100 + index, "file_name": name})
        annotations += [{"image_id": 100 + index, "id": k, "caption": f"photo {index} caption {k}"} for k in range(2)]
    os.makedirs(coco / "annotations")
    with open(coco / "annotations" / "captions_train2014.json", "w") as handle:
        json.dump({"images": images, "annotations": annotations}, handle)
    files["coco"] = str(coco)
    save_picture(str(root / "outside.jpg"), picture(30, 24))  # beside the COCO root, for `../` names

    ift = root / "ift6266"
    table = {}
    for split, count in (("train2014", 3), ("val2014", 2)):
        for index in range(count):
            stem = f"COCO_{split}_{index:012d}"
            save_picture(str(ift / split / f"{stem}.jpg"), picture(40 + index + 5 * (split == "val2014"), SIZE))
            table[stem.encode()] = [f"caption {k} of {stem}".encode() for k in range(2)]
    with open(ift / "captions.pkl", "wb") as handle:
        pickle.dump(table, handle, protocol=2)
    files["ift6266"] = str(ift)

    files["store"] = str(root / "store.h5")
    write_store(files["store"], open_reader("shapes", size=SIZE, counts={"train": 8, "val": 4, "test": 4}),
                progress=False)
    run = root / "run"
    argv = ["train", "fourier", "--data", files["store"], "--out", str(run), "--width", "4", "--blocks", "1",
            "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "1"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0
    files["run"] = str(run)
    files["model"] = str(root / "model.keras")
    shutil.copyfile(run / "fourier_inpainter.keras", files["model"])
    return files


# Damaging them.


def mutate(data, rng):
    """`data` with a random damage: flipped bytes, a cut, a zeroed span, inserted bytes or a broken header."""
    data = bytearray(data)
    kind = int(rng.integers(5))
    if kind == 0:
        for position in rng.integers(0, len(data), int(rng.integers(1, 9))):
            data[position] ^= int(rng.integers(1, 256))
    elif kind == 1:
        data = data[: int(rng.integers(0, len(data)))]
    elif kind == 2:
        start = int(rng.integers(0, len(data)))
        data[start : start + int(rng.integers(1, 65))] = bytes(len(data[start : start + 64]))
    elif kind == 3:
        position = int(rng.integers(0, len(data) + 1))
        data[position:position] = rng.integers(0, 256, int(rng.integers(1, 33)), dtype=np.uint8).tobytes()
    else:
        for position in rng.integers(0, min(64, len(data)), int(rng.integers(1, 4))):
            data[position] ^= int(rng.integers(1, 256))
    return bytes(data)


def damaged_copy(source, target, rng):
    with open(source, "rb") as handle:
        data = handle.read()
    damaged = mutate(data, rng)
    while damaged == data:
        damaged = mutate(data, rng)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(damaged)
    return target


def damaged_member(source, target, rng):
    """A whole zip archive whose one member (config, metadata or weights) is damaged."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = sorted(members)[int(rng.integers(len(members)))]
    members[name] = mutate(members[name], rng)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return target


# Running a case and judging it.


def fingerprint(paths):
    """`{file: sha256}` of every file under `paths` (files or folders)."""
    found = {}
    for path in paths:
        path = os.fspath(path)
        walk = [(path, [], [""])] if os.path.isfile(path) else os.walk(path)
        for folder, _, names in walk:
            for name in names:
                file = os.path.join(folder, name) if name else folder
                with open(file, "rb") as handle:
                    found[file] = hashlib.sha256(handle.read()).hexdigest()
    return found


def leftovers(paths):
    """Temporary files of an interrupted write beside or inside `paths`."""
    found = []
    for path in paths:
        path = os.fspath(path)
        folders = {os.path.dirname(os.path.abspath(path))}
        if os.path.isdir(path):
            folders |= {folder for folder, _, _ in os.walk(path)}
        for folder in folders:
            if os.path.isdir(folder):
                found += [os.path.join(folder, name) for name in os.listdir(folder)
                          if name.startswith(".") and ".tmp" in name]
    return found


def message_verdict(message):
    """CLEAR for a message a user can act on, else CRYPTIC."""
    if any(marker in message for marker in INTERNALS) or len(message.split()) < 3:
        return CRYPTIC
    return CLEAR


def judge_exit(code, stderr, escaped):
    if escaped is not None or code not in (0, 2):
        return TRACEBACK, escaped or stderr.strip()[-300:]
    if code == 0:
        return OK, ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if any(line.startswith("usage:") for line in lines):  # argparse: usage, then one error line
        errors = [line for line in lines if "error:" in line]
    else:
        errors = [line for line in lines if line.startswith("kinpaint") and "error:" in line]
    if len(errors) != 1 or "Traceback" in stderr:
        return CRYPTIC, stderr.strip()[-300:]
    message = errors[0].split("error:", 1)[1].strip()
    return message_verdict(message), message


def run_cli(argv):
    out, err, escaped = io.StringIO(), io.StringIO(), None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([os.fspath(argument) for argument in argv])
        except SystemExit as stop:
            code = stop.code
        except BaseException as error:  # noqa: BLE001  (a traceback is the verdict, not the test's end)
            code, escaped = None, "".join(traceback.format_exception_only(type(error), error)).strip()
    return code, out.getvalue(), err.getvalue(), escaped


def run_api(call):
    try:
        call()
    except CLEAR_EXCEPTIONS as error:
        message = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
        return 2, message, None
    except Exception as error:  # noqa: BLE001
        return 1, "", "".join(traceback.format_exception_only(type(error), error)).strip()[:300]
    return 0, "", None


class SilentlyWrong(Exception):
    """Raised by a case's own check: the call succeeded with a wrong result."""


class Cases:
    """The cases of one command: run each, record its verdict, and list the bad ones."""

    def __init__(self, command):
        self.command = command
        self.failures = []
        self.count = 0

    def run(self, name, argv=None, call=None, inputs=(), outputs=(), whole=None, error=False, note=None):
        """Run `argv` through `main` (or `call()`, the Python API) and judge it.

        `inputs` must be unchanged afterwards; each of `outputs` must be absent after an
        error and pass `whole(path)` after a success; no temporary file may be left. With
        `error`, a success is a silent wrong result; with `note`, a success must say `note`.
        """
        started = time.perf_counter()
        outputs = [os.fspath(path) for path in outputs]
        before = fingerprint(inputs)
        existed = {path: os.path.exists(path) for path in outputs}
        if argv is not None:
            code, stdout, stderr, escaped = run_cli(argv)
            verdict, detail = judge_exit(code, stderr, escaped)
        else:
            code, message, escaped = run_api(call)
            stdout = stderr = ""
            verdict, detail = (SILENT, escaped) if escaped and escaped.startswith("SilentlyWrong") else (
                (TRACEBACK, escaped) if code == 1 else (message_verdict(message), message) if code == 2 else (OK, ""))
        if verdict == OK and (error or (note is not None and note not in stdout + stderr)):
            verdict, detail = SILENT, f"expected {'an error' if error else repr(note)}; it succeeded"
        problems = leftovers(outputs)
        for path in outputs:
            if code != 0 and os.path.exists(path) and not existed[path]:
                problems.append(f"{path} written by a failed command")
            elif code == 0 and whole is not None and not whole(path):
                problems.append(f"{path} is not whole")
        if problems:
            verdict, detail = PARTIAL, "; ".join(problems)
        if fingerprint(inputs) != before:
            verdict, detail = CHANGED, "an input changed"
        self.count += 1
        TALLY[self.command][verdict] += 1
        if os.environ.get("KINPAINT_FUZZ_TIMES"):  # a file to append each case's time to
            with open(os.environ["KINPAINT_FUZZ_TIMES"], "a") as times:
                times.write(f"{time.perf_counter() - started:6.2f} s  {self.command}: {name}: {verdict}\n")
        if verdict not in GOOD:
            self.failures.append(f"{verdict}: {name}: {detail}")
        return verdict, detail

    def check(self):
        print(f"{self.command}: {self.count} cases")
        assert not self.failures, (f"{len(self.failures)} of {self.count} {self.command} cases went wrong:\n"
                                   + "\n".join(self.failures))


def opens_as_picture(path):
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001
        return False


def opens_as_store(path):
    from kinpaint.data.store import Store

    try:
        return len(Store(path)) > 0
    except Exception:  # noqa: BLE001
        return False


def whole_report(folder):
    return all(os.path.isfile(os.path.join(folder, name)) for name in ("results.md", "results.csv", "grid.png"))


def whole_run(folder):
    import csv

    try:
        with open(os.path.join(folder, "history.csv"), newline="") as handle:
            rows = list(csv.DictReader(handle))
        with zipfile.ZipFile(os.path.join(folder, "fourier_inpainter.keras")) as archive:
            damaged = archive.testzip()
        return bool(rows) and damaged is None and opens_as_picture(os.path.join(folder, "loss.png"))
    except Exception:  # noqa: BLE001
        return False


def copy_of(source, target):
    if os.path.isdir(source):
        shutil.copytree(source, target)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    return str(target)


# The commands.


@pytest.mark.slow
def test_fuzz_prepare(valid, tmp_path):
    rng = np.random.default_rng(SEED)
    cases = Cases("prepare")

    def prepare(name, source, *arguments, extra_inputs=(), note=None):
        out = os.path.join(os.path.dirname(source), "out.h5")
        cases.run(name, ["prepare", source, "--out", out, "--size", str(SIZE), *arguments],
                  inputs=[source, *extra_inputs], outputs=[out], whole=opens_as_store, note=note)

    pictures = sorted(name for name in os.listdir(valid["folder"]) if name.startswith("picture"))
    for index in range(36):  # one damaged picture among valid ones
        folder = copy_of(valid["folder"], tmp_path / f"picture_{index}" / "folder")
        victim = os.path.join(folder, pictures[index % len(pictures)])
        damaged_copy(victim, victim, rng)
        prepare(f"folder with damaged {os.path.basename(victim)} #{index}", folder)
    for index in range(24):
        folder = copy_of(valid["folder"], tmp_path / f"jsonl_{index}" / "folder")
        damaged_copy(os.path.join(folder, "captions.jsonl"), os.path.join(folder, "captions.jsonl"), rng)
        prepare(f"damaged captions.jsonl #{index}", folder)
    annotations = os.path.join("annotations", "captions_train2014.json")
    for index in range(24):
        coco = copy_of(valid["coco"], tmp_path / f"coco_{index}" / "coco")
        damaged_copy(os.path.join(coco, annotations), os.path.join(coco, annotations), rng)
        prepare(f"damaged COCO JSON #{index}", coco)
    with open(os.path.join(valid["coco"], annotations)) as handle:
        good = json.load(handle)
    hostile = {
        "file_name ../outside.jpg": ("file_name", "../../outside.jpg"),
        "absolute file_name": ("file_name", os.path.join(os.path.dirname(valid["coco"]), "outside.jpg")),
        "file_name a number": ("file_name", 7),
        "file_name null": ("file_name", None),
        "file_name empty": ("file_name", ""),
        "id missing": ("id", KeyError),
        "id a list": ("id", [1]),
    }
    for index, (name, (key, value)) in enumerate(hostile.items()):
        table = json.loads(json.dumps(good))
        if value is KeyError:
            del table["images"][0][key]
        else:
            table["images"][0][key] = value
        coco = copy_of(valid["coco"], tmp_path / f"hostile_{index}" / "coco")
        with open(os.path.join(coco, annotations), "w") as handle:
            json.dump(table, handle)
        outside = copy_of(os.path.join(os.path.dirname(valid["coco"]), "outside.jpg"),
                          tmp_path / f"hostile_{index}" / "outside.jpg")  # where ../../outside.jpg leads
        prepare(f"COCO {name}", coco, extra_inputs=[outside], note="outside.jpg" if "outside" in str(value) else None)
    shapes = {"images not a list": {"images": 3, "annotations": []},
              "an image entry not a dict": {"images": ["x.jpg"], "annotations": []},
              "an annotation not a dict": {"images": good["images"], "annotations": [5]},
              "a caption a number": {"images": good["images"],
                                     "annotations": [{"image_id": 100, "caption": 12}] + good["annotations"]},
              "an image_id a list": {"images": good["images"], "annotations": [{"image_id": [100], "caption": "x"}]},
              "a JSON list": []}
    for index, (name, table) in enumerate(shapes.items()):
        coco = copy_of(valid["coco"], tmp_path / f"shape_{index}" / "coco")
        with open(os.path.join(coco, annotations), "w") as handle:
            json.dump(table, handle)
        prepare(f"COCO {name}", coco)
    for index in range(16):
        ift = copy_of(valid["ift6266"], tmp_path / f"pickle_{index}" / "ift6266")
        damaged_copy(os.path.join(ift, "captions.pkl"), os.path.join(ift, "captions.pkl"), rng)
        prepare(f"damaged caption pickle #{index}", ift)
    ift = copy_of(valid["ift6266"], tmp_path / "evil" / "ift6266")
    marker = tmp_path / "evil" / "ran.txt"
    with open(os.path.join(ift, "captions.pkl"), "wb") as handle:
        pickle.dump({b"COCO_train2014_000000000000": [RunsCode(str(marker))]}, handle, protocol=2)
    prepare("a caption pickle that would run code", ift)
    assert not marker.exists(), "loading the caption pickle ran code"
    bomb = copy_of(valid["folder"], tmp_path / "bomb" / "folder")
    header = Image.new("L", (1, 1))
    with open(os.path.join(bomb, "bomb.png"), "wb") as handle:
        header.save(handle, format="PNG")
    with open(os.path.join(bomb, "bomb.png"), "r+b") as handle:  # claim 30000 x 30000 pixels in IHDR
        import struct
        import zlib

        handle.seek(16)
        handle.write(struct.pack(">II", 30000, 30000))
        handle.seek(12)
        chunk = handle.read(17)
        handle.seek(29)
        handle.write(struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF))
    prepare("a decompression bomb among the pictures", bomb, note="bomb.png")

    source = copy_of(valid["folder"], tmp_path / "arguments" / "folder")
    out = str(tmp_path / "arguments" / "out.h5")
    notes = tmp_path / "arguments" / "notes.txt"
    notes.write_text("the user's notes")
    for name, argv in {
        "--count bogus=5": ["prepare", "shapes", "--out", out, "--count", "bogus=5"],
        "--count train=-1": ["prepare", "shapes", "--out", out, "--count", "train=-1"],
        "--count train=many": ["prepare", "shapes", "--out", out, "--count", "train=many"],
        "--count on a folder": ["prepare", source, "--out", out, "--count", "train=2"],
        "--size 0": ["prepare", source, "--out", out, "--size", "0"],
        "--size -3": ["prepare", source, "--out", out, "--size", "-3"],
        "--seed -1": ["prepare", "shapes", "--out", out, "--seed", "-1"],
        "--out the captions file, --force": ["prepare", source, "--out", os.path.join(source, "captions.jsonl"),
                                            "--force"],
        "--out a folder": ["prepare", "shapes", "--out", str(tmp_path / "arguments"), "--count", "train=2"],
        "--out a text file, --force": ["prepare", "shapes", "--out", str(notes), "--force", "--count", "train=2"],
        "source is a file": ["prepare", str(notes), "--out", out],
        "source missing": ["prepare", str(tmp_path / "nowhere"), "--out", out],
        "--format coco of a plain folder": ["prepare", source, "--out", out, "--format", "coco"],
        "--format ift6266 of a plain folder": ["prepare", source, "--out", out, "--format", "ift6266"],
        "--embed an unknown encoder": ["prepare", source, "--out", out, "--embed", "nonsense"],
    }.items():
        cases.run(name, argv, inputs=[source, notes], outputs=[out], error=name.startswith("--count"))
    cases.check()


@pytest.mark.slow
def test_fuzz_info(valid, tmp_path):
    """`kinpaint info` on damaged stores (the store reader every command shares)."""
    rng = np.random.default_rng(SEED + 1)
    cases = Cases("info")
    for index in range(30):
        store = damaged_copy(valid["store"], str(tmp_path / f"store_{index}.h5"), rng)
        cases.run(f"damaged store #{index}", ["info", store], inputs=[store])
    cases.run("a PNG as a store", ["info", valid["png"]], inputs=[valid["png"]])
    cases.run("a folder as a store", ["info", valid["folder"]], inputs=[valid["folder"]])
    cases.check()


@pytest.mark.slow
def test_fuzz_inpaint(valid, tmp_path):
    rng = np.random.default_rng(SEED + 2)
    cases = Cases("inpaint")

    def inpaint(name, model, image, *arguments, out=None, inputs=()):
        out = out or os.path.join(os.path.dirname(image), "filled.png")
        cases.run(name, ["inpaint", "--model", model, "--image", image, *arguments, "--out", out],
                  inputs=[model, image, *inputs], outputs=[out] if out not in (model, image, *inputs) else [],
                  whole=opens_as_picture)

    for kind, count in (("png", 7), ("jpg", 6)):
        for index in range(count):
            image = damaged_copy(valid[kind], str(tmp_path / f"{kind}_{index}" / f"picture.{kind}"), rng)
            inpaint(f"damaged {kind} #{index}", valid["model"], image, "--centre")
    for index in range(5):
        mask = damaged_copy(valid["mask"], str(tmp_path / f"mask_{index}" / "mask.png"), rng)
        inpaint(f"damaged mask #{index}", valid["model"], valid["png"], "--mask", mask,
                out=str(tmp_path / f"mask_{index}" / "filled.png"), inputs=[mask])
    for index in range(7):
        model = damaged_copy(valid["model"], str(tmp_path / f"model_{index}" / "model.keras"), rng)
        inpaint(f"damaged .keras bytes #{index}", model, valid["png"], "--centre",
                out=str(tmp_path / f"model_{index}" / "filled.png"))
    for index in range(7):
        model = damaged_member(valid["model"], str(tmp_path / f"member_{index}" / "model.keras"), rng)
        inpaint(f"damaged .keras member #{index}", model, valid["png"], "--centre",
                out=str(tmp_path / f"member_{index}" / "filled.png"))

    folder = tmp_path / "arguments"
    model, image = copy_of(valid["model"], folder / "model.keras"), copy_of(valid["png"], folder / "picture.png")
    tiny = save_picture(str(folder / "tiny.png"), picture(3, 2))
    white = save_picture(str(folder / "white.png"), np.full((24, 24, 3), 255, np.uint8))
    other_size = save_picture(str(folder / "other_size.png"), np.full((12, 12, 3), 255, np.uint8))
    for name, arguments in {
        "--out the model, --force": ["--centre", "--out", model, "--force"],
        "--out the picture, --force": ["--centre", "--out", image, "--force"],
        "--out a folder": ["--centre", "--out", str(folder)],
        "--out with an unknown suffix": ["--centre", "--out", str(folder / "filled.xyz")],
        "a 2x2 picture with --centre": ["--centre", "--image", tiny],
        "an all-white mask": ["--mask", white],
        "a mask of another size": ["--mask", other_size],
        "the model is a store": ["--centre", "--model", valid["store"]],
        "the model is a picture": ["--centre", "--model", image],
        "the picture is a folder": ["--centre", "--image", str(folder)],
        "the picture is a .keras file": ["--centre", "--image", model],
        "--temperature 0": ["--centre", "--temperature", "0"],
        "--steps -1": ["--centre", "--steps", "-1"],
        "--method semantic of a Fourier model": ["--centre", "--method", "semantic"],
    }.items():
        argv = ["inpaint", "--model", model, "--image", image, "--out", str(folder / "filled.png"), *arguments]
        out = arguments[arguments.index("--out") + 1] if "--out" in arguments else str(folder / "filled.png")
        inputs = [model, image, tiny, white, other_size]
        cases.run(name, argv, inputs=inputs, outputs=[] if out in inputs or os.path.isdir(out) else [out],
                  whole=opens_as_picture, error=name in ("a 2x2 picture with --centre", "an all-white mask"))
    cases.check()


@pytest.mark.slow
def test_fuzz_train(valid, tmp_path):
    rng = np.random.default_rng(SEED + 3)
    cases = Cases("train")
    tiny = ["--width", "4", "--blocks", "1", "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "1"]
    for index in range(3):
        store = damaged_copy(valid["store"], str(tmp_path / f"store_{index}" / "store.h5"), rng)
        out = tmp_path / f"store_{index}" / "run"
        cases.run(f"damaged store #{index}", ["train", "fourier", "--data", store, "--out", out, *tiny],
                  inputs=[store], outputs=[out], whole=whole_run)

    store = copy_of(valid["store"], tmp_path / "arguments" / "store.h5")
    notes = tmp_path / "arguments" / "notes.txt"
    notes.write_text("the user's notes")
    foreign = copy_of(valid["run"], tmp_path / "arguments" / "foreign")
    os.rename(os.path.join(foreign, "fourier_inpainter.keras"), os.path.join(foreign, "context_encoder.keras"))
    run = copy_of(valid["run"], tmp_path / "arguments" / "run")
    new = str(tmp_path / "arguments" / "new")
    fourier = ["train", "fourier", "--data", store, "--width", "4", "--blocks", "1", "--batch-size", "4"]
    context = ["train", "context-encoder", "--data", store, "--out", new, "--batch-size", "4"]
    for name, argv in {
        "--epochs 0": [*fourier, "--out", new, "--epochs", "0"],
        "--epochs -2": [*fourier, "--out", new, "--epochs=-2"],
        "--steps-per-epoch 0": [*fourier, "--out", new, "--steps-per-epoch", "0"],
        "--steps-per-epoch -3": [*fourier, "--out", new, "--steps-per-epoch=-3"],
        "--learning-rate -1": [*fourier, "--out", new, "--learning-rate=-1"],
        "--learning-rate nan": [*fourier, "--out", new, "--learning-rate", "nan"],
        "--learning-rate inf": [*fourier, "--out", new, "--learning-rate", "inf"],
        "--learning-rate 1e5": [*fourier, "--out", new, "--learning-rate", "1e5", "--epochs", "1"],
        "--batch-size 0": [*fourier, "--out", new, "--batch-size", "0"],
        "--batch-size -5": [*fourier, "--out", new, "--batch-size=-5"],
        "--batch-size larger than the store": [*fourier, "--out", new, "--batch-size", "64"],
        "--widths 0,0,0,0": [*context, "--widths", "0,0,0,0", "--epochs", "1"],
        "--widths 4,-8": [*context, "--widths=4,-8", "--epochs", "1"],
        "--widths four": [*context, "--widths", "four", "--epochs", "1"],
        "--width 0": [*fourier, "--out", new, "--width", "0"],
        "--downsamples 9": [*fourier, "--out", new, "--downsamples", "9", "--epochs", "1"],
        "--resume with nothing to resume": [*fourier, "--out", new, "--resume"],
        "--resume --learning-rate nan": [*fourier, "--out", run, "--resume", "--learning-rate", "nan"],
        "--resume --learning-rate 0.5": [*fourier, "--out", run, "--resume", "--learning-rate", "0.5"],
        "a run of another model": [*fourier, "--out", foreign, "--epochs", "1"],
        "a run of another model, --force": [*fourier, "--out", foreign, "--force", "--epochs", "1"],
        "an existing run without --resume": [*fourier, "--out", run, "--epochs", "1"],
        "--data missing": ["train", "fourier", "--data", str(tmp_path / "nowhere.h5"), "--out", new],
        "--data a picture": ["train", "fourier", "--data", valid["png"], "--out", new],
        "--data a text file": ["train", "fourier", "--data", str(notes), "--out", new],
        "--out a file": [*fourier, "--out", str(notes), "--epochs", "1"],
        "--captions nonsense": [*context, "--captions", "nonsense", "--epochs", "1"],
    }.items():
        cases.run(name, argv, inputs=[store, notes, foreign, run, valid["png"]], outputs=[new],
                  error=name in ("--learning-rate 1e5", "--resume --learning-rate 0.5"))
    cases.check()


@pytest.mark.slow
def test_fuzz_evaluate(valid, tmp_path):
    rng = np.random.default_rng(SEED + 4)
    cases = Cases("evaluate")
    for index in range(10):
        store = damaged_copy(valid["store"], str(tmp_path / f"store_{index}" / "store.h5"), rng)
        out = tmp_path / f"store_{index}" / "report"
        cases.run(f"damaged store #{index}", ["evaluate", "--data", store, "--methods", "mean", "--count", "4",
                                              "--out", out], inputs=[store], outputs=[out], whole=whole_report)
    for index in range(6):
        model = damaged_copy(valid["model"], str(tmp_path / f"model_{index}" / "model.keras"), rng)
        out = tmp_path / f"model_{index}" / "report"
        cases.run(f"damaged .keras #{index}", ["evaluate", "--data", valid["store"], "--methods", "mean", model,
                                               "--count", "4", "--out", out],
                  inputs=[model, valid["store"]], outputs=[out], whole=whole_report)
    folder = tmp_path / "arguments"
    store, model = copy_of(valid["store"], folder / "store.h5"), copy_of(valid["model"], folder / "model.keras")
    out = str(folder / "report")
    base = ["evaluate", "--data", store, "--out", out]
    for name, argv in {
        "an unknown method": [*base, "--methods", "nonsense"],
        "--count 0": [*base, "--methods", "mean", "--count", "0"],
        "--batch-size 0": [*base, "--methods", "mean", "--batch-size", "0"],
        "--batch-size -1": [*base, "--methods", "mean", "--batch-size=-1"],
        "--split nonsense": [*base, "--methods", "mean", "--split", "nonsense"],
        "--embeddings nonsense": [*base, "--methods", "mean", model, "--embeddings", "nonsense"],
        "--out the store, --force": ["evaluate", "--data", store, "--out", store, "--methods", "mean", "--force"],
        "--out the model, --force": ["evaluate", "--data", store, "--out", model, "--methods", "mean", "--force"],
        "--data a picture": ["evaluate", "--data", valid["png"], "--out", out, "--methods", "mean"],
        "--data missing": ["evaluate", "--data", str(folder / "nowhere.h5"), "--out", out, "--methods", "mean"],
        "the same method twice": [*base, "--methods", "mean", "mean"],
        "a picture as a method": [*base, "--methods", valid["png"]],
    }.items():
        cases.run(name, argv, inputs=[store, model, valid["png"]], outputs=[out], whole=whole_report)
    cases.check()


# The Python API.


@pytest.fixture(scope="module")
def models(valid):
    import keras

    import kinpaint
    from kinpaint.captions import MeanWordEmbedding
    from kinpaint.models import ContextEncoder

    fourier = kinpaint.load_model(valid["model"])
    text = ContextEncoder(image_size=SIZE, widths=(4, 8), caption_units=4,
                          caption_encoder=MeanWordEmbedding.from_captions(WORDS, output_dim=4))
    vectors = ContextEncoder(image_size=SIZE, widths=(4, 8), caption_units=4, caption_dim=5)
    for model in (text, vectors):
        model.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    return {"fourier": fourier, "text": text, "vectors": vectors}


def finite(values):
    if not np.isfinite(np.asarray(values)).all():
        raise SilentlyWrong("the result holds NaN")
    return values


@pytest.mark.slow
def test_fuzz_python_api(valid, models, tmp_path):
    import kinpaint
    from kinpaint.data import CocoReader, FolderReader, Store, make_dataset, write_store
    from kinpaint.data.ift6266 import load_caption_pickle
    from kinpaint.data.masks import make_masks
    from kinpaint.data.sources import open_reader

    rng = np.random.default_rng(SEED + 5)
    cases = Cases("api")
    fourier, text, vectors = models["fourier"], models["text"], models["vectors"]
    images = np.random.default_rng(0).uniform(-1, 1, (4, SIZE, SIZE, 3)).astype(np.float32)
    masks = make_masks("centre", 4, SIZE, SIZE // 2)
    nan_known, nan_hole = images.copy(), images.copy()
    nan_known[:, 0, 0] = np.nan
    nan_hole[:, SIZE // 2, SIZE // 2] = np.nan
    words = WORDS

    def fit(model, x, **options):
        return lambda: model.fit(x, epochs=1, verbose=0, **options)

    for name, call in {
        "inpaint 0-255 floats": lambda: fourier.inpaint(images * 127.5 + 127.5, masks),
        "inpaint NaN known pixels": lambda: fourier.inpaint(nan_known, masks),
        "inpaint NaN in the hole": lambda: finite(fourier.inpaint(nan_hole, masks)),
        "inpaint masks in 0-255": lambda: fourier.inpaint(images, masks * 255),
        "inpaint NaN masks": lambda: fourier.inpaint(images, masks * np.nan),
        "inpaint fewer masks": lambda: fourier.inpaint(images, masks[:3]),
        "inpaint one picture without a batch axis": lambda: fourier.inpaint(images[0], masks[0]),
        "inpaint batch_size=0": lambda: fourier.inpaint(images, masks, batch_size=0),
        "inpaint batch_size=-1": lambda: fourier.inpaint(images, masks, batch_size=-1),
        "captions: 3 for 4 pictures": lambda: text.inpaint(images, masks, words[:3]),
        "captions: raw bytes as the whole argument": lambda: text.inpaint(images, masks, b"a red square"),
        "captions: raw non-UTF-8 bytes": lambda: text.inpaint(images, masks, [b"\xff\xfe\x00"] * 4),
        "captions: one string for the batch": lambda: text.inpaint(images, masks, "a red square"),
        "captions: numbers": lambda: text.inpaint(images, masks, [1, 2, 3, 4]),
        "captions: None entries": lambda: text.inpaint(images, masks, [None] * 4),
        "captions: lists": lambda: text.inpaint(images, masks, [["a", "b"]] * 4),
        "caption vectors: strings": lambda: vectors.inpaint(images, masks, words),
        "caption vectors: wrong size": lambda: vectors.inpaint(images, masks, np.zeros((4, 3))),
        "caption vectors: 3 for 4 pictures": lambda: vectors.inpaint(images, masks, np.zeros((3, 5))),
        "caption vectors: NaN": lambda: vectors.inpaint(images, masks, np.full((4, 5), np.nan)),
        "fit batch_size=0": fit(fourier, images, batch_size=0),
        "fit batch_size=-5": fit(fourier, images, batch_size=-5),
        "fit 0-255 floats": fit(fourier, images * 127.5 + 127.5),
        "fit NaN pixels (a NaN loss)": fit(fourier, nan_hole),
        "fit images of another size": fit(fourier, images[:, :8, :8]),
        "fit captions: 3 for 4 pictures": fit(text, (images, np.array(words[:3]))),
        "fit captions: an object array of bytes": fit(text, (images, np.array([w.encode() for w in words], object)),
                                                      batch_size=4),
        "make_dataset batch_size=0": lambda: next(iter(make_dataset(valid["store"], batch_size=0))),
        "make_dataset of a picture": lambda: make_dataset(valid["png"]),
        "evaluate batch_size=0": lambda: kinpaint.evaluate(valid["store"], ["mean"], count=4, batch_size=0,
                                                           progress=False),
        "evaluate count=0": lambda: kinpaint.evaluate(valid["store"], ["mean"], count=0, progress=False),
        "load_model of a store": lambda: kinpaint.load_model(valid["store"]),
        "load_model of a folder": lambda: kinpaint.load_model(valid["folder"]),
        "write_store over a folder": lambda: write_store(str(tmp_path), open_reader("shapes", counts={"train": 2}),
                                                         force=True, progress=False),
    }.items():
        cases.run(name, call=call, inputs=[valid["store"], valid["model"]], error=name in (
            "inpaint masks in 0-255", "inpaint NaN masks", "caption vectors: NaN", "fit batch_size=0",
            "make_dataset batch_size=0", "captions: raw bytes as the whole argument"))

    for index in range(10):
        model = damaged_copy(valid["model"], str(tmp_path / f"model_{index}.keras"), rng)
        cases.run(f"load_model of damaged bytes #{index}", call=lambda model=model: kinpaint.load_model(model),
                  inputs=[model])
    for index in range(6):
        model = damaged_member(valid["model"], str(tmp_path / f"member_{index}.keras"), rng)
        cases.run(f"load_model of a damaged member #{index}", call=lambda model=model: kinpaint.load_model(model),
                  inputs=[model])
    for index in range(10):
        store = damaged_copy(valid["store"], str(tmp_path / f"store_{index}.h5"), rng)
        cases.run(f"make_dataset of a damaged store #{index}",
                  call=lambda store=store: list(make_dataset(Store(store), batch_size=8)), inputs=[store])
    for index in range(8):
        folder = copy_of(valid["folder"], tmp_path / f"folder_{index}")
        damaged_copy(os.path.join(folder, "captions.jsonl"), os.path.join(folder, "captions.jsonl"), rng)
        cases.run(f"FolderReader of damaged captions #{index}",
                  call=lambda folder=folder: list(FolderReader(folder, size=SIZE)), inputs=[folder])
    annotations = os.path.join("annotations", "captions_train2014.json")
    for index in range(8):
        coco = copy_of(valid["coco"], tmp_path / f"coco_{index}")
        damaged_copy(os.path.join(coco, annotations), os.path.join(coco, annotations), rng)
        cases.run(f"CocoReader of a damaged JSON #{index}",
                  call=lambda coco=coco: list(CocoReader.from_root(coco, size=SIZE)), inputs=[coco])
    for index in range(8):
        path = damaged_copy(os.path.join(valid["ift6266"], "captions.pkl"), str(tmp_path / f"pickle_{index}.pkl"), rng)
        cases.run(f"load_caption_pickle of damaged bytes #{index}", call=lambda path=path: load_caption_pickle(path),
                  inputs=[path])
    cases.check()


@pytest.mark.slow
def test_fuzz_through_the_real_command(valid, tmp_path):
    """A handful of cases through the installed `kinpaint` command, in fresh processes."""
    import kinpaint

    rng = np.random.default_rng(SEED + 6)
    command = [shutil.which("kinpaint")] if shutil.which("kinpaint") else [sys.executable, "-m", "kinpaint"]
    environment = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(kinpaint.__file__)),
                       TF_CPP_MIN_LOG_LEVEL="3")
    store = damaged_copy(valid["store"], str(tmp_path / "store.h5"), rng)
    model = damaged_member(valid["model"], str(tmp_path / "model.keras"), rng)
    jsonl = copy_of(valid["folder"], tmp_path / "folder")
    damaged_copy(os.path.join(jsonl, "captions.jsonl"), os.path.join(jsonl, "captions.jsonl"), rng)
    runs = {
        "info of a damaged store": (["info", store], [store], []),
        "train --epochs 0": (["train", "fourier", "--data", valid["store"], "--out", str(tmp_path / "run"),
                              "--epochs", "0"], [valid["store"]], [tmp_path / "run"]),
        "prepare --count bogus=5": (["prepare", "shapes", "--out", str(tmp_path / "s.h5"), "--count", "bogus=5"],
                                    [], [tmp_path / "s.h5"]),
        "prepare a folder with damaged captions": (["prepare", jsonl, "--out", str(tmp_path / "f.h5")], [jsonl],
                                                   [tmp_path / "f.h5"]),
        "inpaint with a damaged .keras member": (["inpaint", "--model", model, "--image", valid["png"], "--centre",
                                                  "--out", str(tmp_path / "filled.png")], [model, valid["png"]],
                                                 [tmp_path / "filled.png"]),
    }
    cases = Cases("command")
    processes = {name: subprocess.Popen(command + argv, env=environment, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                 for name, (argv, _, _) in runs.items()}
    results = {name: process.communicate(timeout=120) + (process.returncode,) for name, process in processes.items()}
    for name, (_, inputs, outputs) in runs.items():
        _, stderr, code = results[name]
        cases.run(name, call=lambda code=code, stderr=stderr: _replay(code, stderr), inputs=inputs, outputs=outputs,
                  error=name == "prepare --count bogus=5")
    cases.check()


def _replay(code, stderr):
    """Judge a finished process as `Cases.run` judges an in-process call."""
    verdict, detail = judge_exit(code, stderr, None)
    if verdict == CLEAR:
        raise ValueError(detail)
    if verdict != OK:
        raise RuntimeError(f"exit {code}: {detail}")


# The cases that the random ones cannot judge, one by one.


@pytest.mark.slow
def test_a_nan_loss_stops_the_command_with_one_line_naming_the_epoch_and_step(valid, tmp_path, monkeypatch, capsys):
    import keras

    import kinpaint.models.fourier_inpainter as fourier

    keras.backend.clear_session()  # the earlier cases' graphs make TensorFlow's optimizer of this one slow
    error = fourier.hole_error
    monkeypatch.setattr(fourier, "hole_error", lambda *args, **kwargs: error(*args, **kwargs) * float("nan"))
    run = copy_of(valid["run"], tmp_path / "run")
    saved = fingerprint([os.path.join(run, "fourier_inpainter.keras")])
    argv = ["train", "fourier", "--data", valid["store"], "--out", run, "--resume", "--batch-size", "4",
            "--epochs", "1", "--steps-per-epoch", "1"]
    code, _, stderr, escaped = run_cli(argv)
    assert (code, escaped) == (2, None), stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("kinpaint")]
    assert "stopped at epoch 2, batch 1 of the epoch (training step 2)" in line, line
    assert "reconstruction loss is NaN or infinite" in line and "keeps epoch 1" in line, line
    assert fingerprint([os.path.join(run, "fourier_inpainter.keras")]) == saved


def test_files_kinpaint_writes_get_the_permissions_the_umask_gives(tmp_path):
    from kinpaint.files import write_text

    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        previous = os.umask(umask)
        try:
            write_text(str(tmp_path / f"{umask:o}.txt"), "text")
        finally:
            os.umask(previous)
        assert os.stat(tmp_path / f"{umask:o}.txt").st_mode & 0o777 == mode


@pytest.mark.slow
def test_force_removes_the_old_run_before_writing_so_a_kill_leaves_no_mixture(valid, tmp_path, monkeypatch):
    from kinpaint.files import OUTPUTS_RECORD
    from kinpaint.models.base import InpaintingModel

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process died in the first step

    monkeypatch.setattr(InpaintingModel, "fit", killed)
    run = copy_of(valid["run"], tmp_path / "run")
    argv = ["train", "fourier", "--data", valid["store"], "--out", run, "--width", "4", "--blocks", "1",
            "--batch-size", "4", "--epochs", "1"]
    assert run_cli([*argv, "--force"])[0] == 130
    kept = sorted(name for name in os.listdir(run) if name != OUTPUTS_RECORD)  # the record of what train wrote stays
    assert kept == ["grids"] and not os.listdir(os.path.join(run, "grids"))
    code, _, stderr, _ = run_cli([*argv, "--resume"])
    assert code == 2 and "nothing to resume" in stderr


def test_a_caption_pickle_converts_to_json_lines_that_replace_it(valid, tmp_path):
    from kinpaint.data.store import Store

    ift = copy_of(valid["ift6266"], tmp_path / "ift6266")
    pickled = str(tmp_path / "from_pickle.h5")
    assert run_cli(["prepare", ift, "--out", pickled, "--size", str(SIZE)])[0] == 0
    out = os.path.join(ift, "captions.jsonl")
    code, stdout, _, _ = run_cli(["prepare", ift, "--convert-captions", out])
    assert code == 0 and "wrote the captions of 5 image(s)" in stdout
    with open(out) as handle:
        entries = [json.loads(line) for line in handle]
    assert entries[0] == {"file": "train2014/COCO_train2014_000000000000.jpg",
                          "captions": ["caption 0 of COCO_train2014_000000000000",
                                       "caption 1 of COCO_train2014_000000000000"]}
    code, _, stderr, _ = run_cli(["prepare", ift, "--convert-captions", os.path.join(ift, "captions.pkl"), "--force"])
    assert code == 2 and "the caption pickle itself" in stderr
    marker = tmp_path / "ran.txt"
    with open(os.path.join(ift, "captions.pkl"), "wb") as handle:  # from now on the pickle is not even opened
        pickle.dump({"x": [RunsCode(str(marker))]}, handle, protocol=2)
    converted = str(tmp_path / "from_jsonl.h5")
    code, stdout, _, _ = run_cli(["prepare", ift, "--out", converted, "--size", str(SIZE)])
    assert code == 0 and f"captions read from {out}" in stdout
    assert not marker.exists()
    first, second = Store(pickled), Store(converted)
    assert first.splits == second.splits and first.read_captions(0, len(first)) == second.read_captions(0, 5)
