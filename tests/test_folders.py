"""Filling a folder of pictures in batches (`kinpaint.folders`, `kinpaint inpaint --images`)."""

import os
import re

import numpy as np
import pytest
from PIL import Image

from kinpaint.cli.main import main
from kinpaint.files import OUTPUTS_RECORD
from kinpaint.folders import FolderSummary, ProgressLine, inpaint_folder
from kinpaint.pictures import picture_centre_mask
from test_pictures import Recording, picture, write_mask
from test_pictures import shipped, tiny_fourier, tiny_fourier_file  # noqa: F401  (fixtures shared with the picture tests)


@pytest.fixture
def folder(tmp_path):
    """Seven pictures: four of 30x40 (one in a subfolder), one of 24x36, one corrupt, one without a
    mask and one whose mask is another size. Returns `(pictures, masks, {name: pixels})`."""
    pictures, masks = tmp_path / "pictures", tmp_path / "masks"
    (pictures / "sub").mkdir(parents=True)
    (masks / "sub").mkdir(parents=True)
    pixels = {}
    for index, (name, shape) in enumerate([("a.png", (30, 40)), ("b.jpg", (30, 40)), ("c.png", (30, 40)),
                                           ("sub/d.png", (30, 40)), ("e.png", (24, 36)), ("nomask.png", (30, 40)),
                                           ("wrongsize.png", (30, 40))]):
        pixels[name] = picture(*shape, seed=index)
        Image.fromarray(pixels[name]).save(pictures / name)
        hole = np.zeros(shape, bool)
        hole[5 + index : 15 + index, 10:22] = True
        if name == "wrongsize.png":
            hole = np.ones((10, 10), bool)
        if name != "nomask.png":
            write_mask(masks / (os.path.splitext(name)[0] + ".png"), hole)
    (pictures / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not a picture")
    write_mask(masks / "corrupt.png", np.ones((30, 40), bool))
    return pictures, masks, pixels


FILLED = ("a.png", "b.png", "c.png", "e.png", "sub/d.png")


def outputs(out):
    """The files below `out`, but for the record of those the command wrote (`OUTPUTS_RECORD`)."""
    return sorted(os.path.relpath(os.path.join(root, name), out).replace(os.sep, "/")
                  for root, _, names in os.walk(out) for name in names if name != OUTPUTS_RECORD)


@pytest.mark.slow
def test_a_folder_is_filled_in_batches_and_failures_are_reported(folder, tiny_fourier, tmp_path):
    pictures, masks, pixels = folder
    recording = Recording(tiny_fourier)
    notes = []
    summary = inpaint_folder(recording, pictures, tmp_path / "out", masks=masks, log=notes.append)
    assert isinstance(summary, FolderSummary) and not summary.ok
    assert summary.pictures == 8 and len(summary.written) == 5 and summary.skipped == []
    assert outputs(tmp_path / "out") == list(FILLED)
    # The four 30x40 pictures go through the model together, the 24x36 one alone.
    assert sorted(recording.shapes) == [(1, 24, 36, 3), (4, 30, 40, 3)]
    failed = {os.path.basename(picture): reason for picture, reason in summary.failed}
    assert set(failed) == {"corrupt.png", "nomask.png", "wrongsize.png"}
    assert "unreadable or truncated image" in failed["corrupt.png"]
    assert re.search(r"no mask: .*nomask\.\* is missing", failed["nomask.png"])
    assert "is 10x10 but the picture is 40x30" in failed["wrongsize.png"]
    text = notes[-1]
    assert text.startswith("8 picture(s): 5 filled, 0 already done (skipped), 3 failed")
    assert all(os.path.basename(name) in text for name in failed)
    for name in FILLED:
        source = next(key for key in pixels if os.path.splitext(key)[0] == os.path.splitext(name)[0])
        known = np.asarray(Image.open(masks / (os.path.splitext(name)[0] + ".png"))) == 0
        result = np.asarray(Image.open(tmp_path / "out" / name))
        expected_source = pixels[source] if source.endswith(".png") else np.asarray(Image.open(pictures / source))
        np.testing.assert_array_equal(result[known], expected_source[known])
        assert (result[~known] != expected_source[~known]).any()


@pytest.mark.slow
def test_a_rerun_resumes_where_the_last_one_stopped(folder, tiny_fourier, tmp_path):
    pictures, masks, _ = folder
    out = tmp_path / "out"
    inpaint_folder(tiny_fourier, pictures, out, masks=masks, log=lambda text: None)
    times = {name: os.stat(out / name).st_mtime_ns for name in FILLED}
    # A run killed while writing c.png: c.png is not there, its temporary file is.
    os.remove(out / "c.png")
    (out / ".c.png.k3j_x9qa.tmp.png").write_bytes(b"half a picture")
    recording = Recording(tiny_fourier)
    summary = inpaint_folder(recording, pictures, out, masks=masks, log=lambda text: None)
    assert [os.path.basename(path) for path in summary.written] == ["c.png"]
    assert len(summary.skipped) == 4 and len(summary.failed) == 3
    assert recording.shapes == [(1, 30, 40, 3)]
    assert outputs(out) == list(FILLED)
    assert all(os.stat(out / name).st_mtime_ns == times[name] for name in FILLED if name != "c.png")
    # --force fills everything again.
    summary = inpaint_folder(recording, pictures, out, masks=masks, force=True, log=lambda text: None)
    assert len(summary.written) == 5 and summary.skipped == []


def test_one_mask_for_every_picture_and_the_centre(folder, tiny_fourier, tmp_path):
    pictures, _, pixels = folder
    hole = np.zeros((30, 40), bool)
    hole[10:20, 5:15] = True
    one = write_mask(tmp_path / "one.png", hole)
    summary = inpaint_folder(tiny_fourier, pictures, tmp_path / "one", masks=one, log=lambda text: None)
    failed = {os.path.basename(picture): reason for picture, reason in summary.failed}
    assert set(failed) == {"corrupt.png", "e.png"}  # e.png is 36x24
    assert "is 40x30 but the picture is 36x24" in failed["e.png"]
    result = np.asarray(Image.open(tmp_path / "one" / "a.png"))
    np.testing.assert_array_equal(result[~hole], pixels["a.png"][~hole])
    summary = inpaint_folder(tiny_fourier, pictures, tmp_path / "centre", centre=True, batch_size=2,
                             log=lambda text: None)
    assert len(summary.written) == 7 and [os.path.basename(p) for p, _ in summary.failed] == ["corrupt.png"]
    known = picture_centre_mask((24, 36))[..., 0] == 1
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "centre" / "e.png"))[known], pixels["e.png"][known])


def test_batches_fill_as_one_picture_at_a_time(folder, tiny_fourier, tmp_path):
    pictures, _, _ = folder
    inpaint_folder(tiny_fourier, pictures, tmp_path / "eight", centre=True, batch_size=8, log=lambda text: None)
    inpaint_folder(tiny_fourier, pictures, tmp_path / "one", centre=True, batch_size=1, log=lambda text: None)
    for name in outputs(tmp_path / "one"):
        one = np.asarray(Image.open(tmp_path / "one" / name)).astype(int)
        np.testing.assert_allclose(np.asarray(Image.open(tmp_path / "eight" / name)), one, atol=1)


@pytest.mark.parametrize("where", ["the pictures", "the masks"])
def test_out_cannot_be_an_input_folder(folder, tiny_fourier, where):
    pictures, masks, _ = folder
    out = pictures if where == "the pictures" else masks
    before = outputs(out)
    with pytest.raises(ValueError, match="is the --(images|masks) folder: the filled pictures would replace its files"):
        inpaint_folder(tiny_fourier, pictures, out, masks=masks, log=lambda text: None)
    assert outputs(out) == before


def test_out_inside_the_picture_folder_is_not_read_as_pictures(folder, tiny_fourier):
    pictures, _, _ = folder
    out = pictures / "filled"
    first = inpaint_folder(tiny_fourier, pictures, out, centre=True, log=lambda text: None)
    second = inpaint_folder(tiny_fourier, pictures, out, centre=True, log=lambda text: None)
    assert first.pictures == second.pictures == 8 and len(second.skipped) == 7 and second.written == []


def test_an_output_that_would_replace_an_input_fails_alone(tmp_path, tiny_fourier):
    """`--out` the parent of the pictures: `pictures/pictures/x.png`'s output is `pictures/x.png`, an input."""
    pictures = tmp_path / "pictures"
    (pictures / "pictures").mkdir(parents=True)
    Image.fromarray(picture(seed=1)).save(pictures / "x.png")
    Image.fromarray(picture(seed=2)).save(pictures / "pictures" / "x.png")
    before = (pictures / "x.png").read_bytes()
    summary = inpaint_folder(tiny_fourier, pictures, tmp_path, centre=True, force=True, log=lambda text: None)
    assert summary.failed == [(str(pictures / "pictures" / "x.png"),
                               f"its output {pictures / 'x.png'} would overwrite an input")]
    assert summary.written == [str(tmp_path / "x.png")]
    assert (pictures / "x.png").read_bytes() == before


@pytest.mark.slow
def test_a_file_the_user_had_in_out_is_neither_replaced_nor_counted_as_done(folder, tiny_fourier, tmp_path):
    pictures, _, _ = folder
    out = tmp_path / "out"
    out.mkdir()
    Image.fromarray(picture(seed=9)).save(out / "a.png")  # the user's own picture, named as an output
    mine = (out / "a.png").read_bytes()
    for force in (False, True):
        summary = inpaint_folder(tiny_fourier, pictures, out, centre=True, force=force, log=lambda text: None)
        failed = dict(summary.failed)
        assert str(out / "a.png") not in summary.skipped + summary.written
        assert re.search(r"a\.png was not written by kinpaint inpaint .* it is left as it is, even with --force",
                         failed[str(pictures / "a.png")])
        assert (out / "a.png").read_bytes() == mine
    assert len(summary.written) == 6  # --force filled the others again
    # An output the user changed since kinpaint wrote it is left alone too.
    Image.fromarray(picture(seed=10)).save(out / "c.png")
    edited = (out / "c.png").read_bytes()
    summary = inpaint_folder(tiny_fourier, pictures, out, centre=True, force=True, log=lambda text: None)
    assert "has changed since kinpaint inpaint wrote it" in dict(summary.failed)[str(pictures / "c.png")]
    assert (out / "c.png").read_bytes() == edited and len(summary.written) == 5


def test_images_and_masks_cannot_be_the_same_folder(folder, tiny_fourier, tmp_path):
    pictures, _, _ = folder
    with pytest.raises(ValueError, match=r"--images .*pictures and --masks .*pictures/ are the same folder"):
        inpaint_folder(tiny_fourier, pictures, tmp_path / "out", masks=f"{pictures}/", log=lambda text: None)
    assert not (tmp_path / "out").exists()


def test_the_summary_shows_every_name_on_its_own_line_in_any_encoding():
    forged = "x.png: fine\n  failed: y.png"
    undecodable = os.fsdecode(b"caf\xe9.png")
    summary = FolderSummary(pictures=2, failed=[(forged, "unreadable"), (undecodable, f"no mask: m/{undecodable}")])
    text = summary.text()
    assert text.splitlines()[1:] == ["  failed: x.png: fine\\n  failed: y.png: unreadable",
                                     "  failed: caf\\xe9.png: no mask: m/caf\\xe9.png"]
    text.encode("utf-8")  # printable on any UTF-8 terminal


@pytest.mark.slow
def test_the_command_line_exit_code_says_whether_all_succeeded(folder, shipped, tmp_path, capsys):
    pictures, masks, _ = folder
    code = main(["inpaint", "--images", str(pictures), "--masks", str(masks), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert "3 of 8 pictures failed (listed above)" in captured.err
    assert "inpaint: 8/8 pictures, 3 failed" in captured.err  # the progress, not a terminal: a line per tenth
    assert "5 filled, 0 already done (skipped), 3 failed" in captured.out and "nomask.png" in captured.out
    (pictures / "corrupt.png").unlink()
    os.remove(pictures / "nomask.png"), os.remove(pictures / "wrongsize.png")
    assert main(["inpaint", "--images", str(pictures), "--masks", str(masks), "--out", str(tmp_path / "out")]) == 0
    assert "0 filled, 5 already done (skipped), 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize("out, expected", [
    ("filled.png", "looks like a picture's name; with --images, --out is a folder"),
    ("a_file", "is a file; with --images, --out is the folder"),
])
def test_folder_out_is_checked(folder, shipped, tmp_path, capsys, out, expected):
    pictures, _, _ = folder
    (tmp_path / "a_file").write_text("mine")
    assert main(["inpaint", "--images", str(pictures), "--centre", "--out", str(tmp_path / out)]) == 2
    assert expected in capsys.readouterr().err
    assert (tmp_path / "a_file").read_text() == "mine" and not (tmp_path / "filled.png").exists()


def test_folder_arguments_are_checked(folder, shipped, tmp_path, capsys):
    pictures, _, _ = folder
    assert main(["inpaint", "--images", str(tmp_path / "nowhere"), "--centre", "--out", str(tmp_path / "out")]) == 2
    assert "--images folder not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["inpaint", "--images", str(pictures), "--centre", "--batch-size", "0", "--out", str(tmp_path / "out")])
    assert "expected an integer of at least 1, got '0'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_single_picture_options_are_refused_with_a_folder_and_the_reverse(folder, shipped, tmp_path, capsys):
    pictures, _, _ = folder
    assert main(["inpaint", "--image", str(pictures / "a.png"), "--centre", "--format", "jpg",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "--format goes with --images" in capsys.readouterr().err
    assert main(["inpaint", "--image", str(pictures / "a.png"), "--mask", str(pictures),
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "is a folder; a folder of masks goes with a folder of pictures" in capsys.readouterr().err


def test_progress_line_redraws_on_a_terminal_and_prints_tenths_elsewhere():
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, log = Terminal(), io.StringIO()
    bar = ProgressLine(terminal, width=10)
    bar(5, 10, 0), bar(10, 10, 1)
    assert terminal.getvalue() == "\r[#####.....] inpaint: 5/10 pictures\r[##########] inpaint: 10/10 pictures, 1 failed\n"
    line = ProgressLine(log)
    for done in range(1, 21):
        line(done, 20, done // 10)
    assert log.getvalue().splitlines() == [f"inpaint: {done}/20 pictures" + (f", {done // 10} failed" if done >= 10
                                                                               else "") for done in (1, *range(2, 21, 2))]
