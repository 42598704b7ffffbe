"""Seeded fuzz cases for the folder command, `kinpaint inpaint --images DIR --out DIR`:
hostile file names, folders that are one another, files the user had in `--out`, and reruns
with and without `--force`.

A case passes when the command ends in exit 0, or exit 2 with one line on standard error;
the summary has one line for its counts and one a failure, every line printable; no input
changed; no file the user had in `--out` (or outside it, through a link) replaced; and a rerun
skips exactly what the command wrote, `--force` refilling only that.
"""

import hashlib
import os
import random

import numpy as np
import pytest
from PIL import Image

from kinpaint.cli.main import main
from kinpaint.files import OUTPUTS_RECORD
from kinpaint.folders import inpaint_folder
from test_pictures import save_tiny_fourier

SEED = 35
# Pieces of names a shell, a terminal or a line-based report trips on.
HOSTILE = ["\n", "\r", "\t", "\x1b[31m", "\u202e", "\x7f", " ", "-", "--force", "..", "é", "日本", "\\", "'", '"',
           "$(id)", "*", "?", "%s", "{}", os.fsdecode(b"\xff"), os.fsdecode(b"\xc3"), "failed: x.png: y"]


def hostile_names(rng, count):
    """`count` distinct file names (without suffix), each with two to four hostile pieces."""
    names = set()
    while len(names) < count:
        pieces = rng.sample(HOSTILE, rng.randint(2, 4)) + [rng.choice("abcdefgh")]
        rng.shuffle(pieces)
        name = "".join(pieces).replace("/", "")
        if not name.startswith(".") and len(os.fsencode(name)) < 200:
            names.add(name)
    return sorted(names)


def write_picture(path, seed, size=(12, 10)):
    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3)).astype(np.uint8)
    Image.fromarray(pixels).save(path)


def digests(*folders):
    """`{path: sha256}` of every file below `folders` (links as their target's path)."""
    found = {}
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                found[path] = os.readlink(path) if os.path.islink(path) else hashlib.sha256(
                    open(path, "rb").read()).hexdigest()
    return found


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return str(save_tiny_fourier(tmp_path_factory.mktemp("weights")))


@pytest.fixture(scope="module")
def model(model_file):
    from kinpaint.saving import load_model

    return load_model(model_file, compile=False)


def check_summary(text, failed):
    """The summary: one line of counts, then one line a failure; every line printable."""
    lines = text.splitlines()
    assert len(lines) == 1 + len(failed), lines
    assert all(line.startswith("  failed: ") for line in lines[1:]), lines
    text.encode("utf-8")  # printable however the names were encoded


@pytest.mark.slow
def test_hostile_names_are_filled_and_each_is_one_line_of_the_summary(model_file, tmp_path, capsys):
    rng = random.Random(SEED)
    pictures, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    pictures.mkdir(), masks.mkdir()
    names = hostile_names(rng, 12)
    broken = set(rng.sample(names, 3))
    maskless = set(rng.sample(sorted(set(names) - broken), 2))
    for index, name in enumerate(names):
        suffix = rng.choice([".png", ".jpg", ".PNG"])
        if name in broken:
            (pictures / (name + suffix)).write_bytes(b"\x89PNG\r\n\x1a\n not a picture\n  failed: forged.png")
        else:
            write_picture(pictures / (name + suffix), index)
        if name not in maskless:
            hole = np.zeros((12, 10), np.uint8)
            hole[3:8, 2:7] = 255
            Image.fromarray(hole).save(masks / (name + ".png"))
    before = digests(pictures, masks)
    code = main(["inpaint", "--model", model_file, "--images", str(pictures), "--masks", str(masks),
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.splitlines()[-1].startswith("kinpaint inpaint: error: 5 of 12 pictures failed")
    summary = captured.out[captured.out.index(f"{len(names)} picture(s)"):]
    check_summary(summary, broken | maskless)
    assert summary.startswith(f"{len(names)} picture(s): {len(names) - 5} filled, 0 already done (skipped), 5 failed")
    written = sorted(name for name in os.listdir(out) if name != OUTPUTS_RECORD)
    assert written == sorted(name + ".png" for name in set(names) - broken - maskless)
    assert digests(pictures, masks) == before
    # A rerun skips all it wrote and lists the same failures.
    assert main(["inpaint", "--model", model_file, "--images", str(pictures), "--masks", str(masks),
                 "--out", str(out)]) == 2
    summary = capsys.readouterr().out
    check_summary(summary[summary.index(f"{len(names)} picture(s)"):], broken | maskless)
    assert f"0 filled, {len(names) - 5} already done (skipped), 5 failed" in summary


RELATIONS = {
    "--masks the --images folder": lambda i, m, o: (i, i, o),
    "--masks a link to --images": lambda i, m, o: (i, link(i, o.parent / "masks_link"), o),
    "--masks the --images folder with a slash": lambda i, m, o: (i, f"{i}{os.sep}", o),
    "--out the --images folder": lambda i, m, o: (i, m, i),
    "--out a link to --images": lambda i, m, o: (i, m, link(i, o.parent / "out_link")),
    "--out the --masks folder": lambda i, m, o: (i, m, m),
    "--out a file": lambda i, m, o: (i, m, next(iter(sorted(i.iterdir())))),
}


def link(target, path):
    os.symlink(target, path)
    return path


@pytest.mark.parametrize("relation", sorted(RELATIONS))
def test_folders_that_are_one_another_are_refused_before_any_work(relation, tmp_path, capsys):
    pictures, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    pictures.mkdir(), masks.mkdir()
    for index in range(3):
        write_picture(pictures / f"p{index}.png", index)
        Image.fromarray(np.full((12, 10), 255 * (index % 2), np.uint8)).save(masks / f"p{index}.png")
    images, mask_folder, out = RELATIONS[relation](pictures, masks, out)
    before = digests(pictures, masks)
    code = main(["inpaint", "--model", str(tmp_path / "never_loaded.keras"), "--images", str(images),
                 "--masks", str(mask_folder), "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 2 and len(error.strip().splitlines()) == 1, error
    assert "never_loaded" not in error  # refused before the model is read
    assert digests(pictures, masks) == before and not (tmp_path / "out").exists()


@pytest.mark.parametrize("which", ["--images missing", "--masks missing", "--out a file"])
def test_a_refused_folder_with_a_hostile_name_is_named_on_one_line(which, tmp_path, capsys):
    name = hostile_names(random.Random(SEED + len(which)), 1)[0] + "\nkinpaint: done"
    pictures, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    pictures.mkdir(), masks.mkdir()
    write_picture(pictures / "p.png", 0)
    if which == "--images missing":
        pictures = tmp_path / name
    elif which == "--masks missing":
        masks = tmp_path / name
    else:
        out = tmp_path / name
        out.write_text("the user's file")
    code = main(["inpaint", "--model", str(tmp_path / "never_loaded.keras"), "--images", str(pictures),
                 "--masks", str(masks), "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 2 and len(error.splitlines()) == 1 and "\\nkinpaint: done" in error, error


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_files_the_user_had_in_out_survive_reruns_with_and_without_force(model, tmp_path, seed):
    rng = random.Random(SEED * 100 + seed)
    pictures, out, outside = tmp_path / "in", tmp_path / "out", tmp_path / "outside.png"
    (pictures / "sub").mkdir(parents=True)
    (out / "sub").mkdir(parents=True)
    names = [f"{'sub/' if rng.random() < 0.3 else ''}{name}" for name in hostile_names(rng, 6)]
    for index, name in enumerate(names):
        write_picture(pictures / (name + rng.choice([".png", ".jpg"])), index)
    theirs = rng.sample(names, 2)  # outputs the user already had
    for index, name in enumerate(theirs):
        write_picture(out / (name + ".png"), 100 + index)
    write_picture(outside, 200)
    linked = rng.choice(sorted(set(names) - set(theirs)))  # an output name that is a link to a file outside
    os.symlink(outside, out / (linked + ".png"))
    (out / "notes.txt").write_text("the user's notes")
    kept = {**digests(out), outside: digests(tmp_path)[str(outside)]}
    inputs = digests(pictures)
    refused = {str(pictures / name) for name in [*theirs, linked]}
    ours = len(names) - len(refused)

    def run(force=False):
        summary = inpaint_folder(model, pictures, out, centre=True, force=force, log=lambda text: None)
        check_summary(summary.text(), summary.failed)
        assert {os.path.splitext(picture)[0] for picture, _ in summary.failed} == refused | changed
        assert all("left as it is, even with --force" in reason for _, reason in summary.failed)
        assert summary.pictures == len(summary.written) + len(summary.skipped) + len(summary.failed)
        assert {path: digests(tmp_path)[str(path)] if path == outside else digests(out)[path]
                for path in kept} == kept
        assert digests(pictures) == inputs
        return summary

    changed = set()
    first = run()
    assert len(first.written) == ours and first.skipped == []
    again = run()
    assert again.written == [] and sorted(again.skipped) == sorted(first.written)
    forced = run(force=True)
    assert sorted(forced.written) == sorted(first.written) and forced.skipped == []
    edited = rng.choice(sorted(forced.written))  # the user retouches one of the outputs
    write_picture(edited, 300)
    kept[edited] = digests(out)[edited]
    changed = {str(pictures / os.path.relpath(os.path.splitext(edited)[0], out))}
    last = run(force=True)
    assert len(last.written) == ours - 1
