"""`kinpaint.files`: what a command may replace (`OutputRecord`, `check_not_an_input`,
`check_output_folder`) and how it names a file (`shown_path`)."""

import io
import json
import os

import pytest

from kinpaint.files import (
    OUTPUTS_RECORD,
    OutputRecord,
    check_not_an_input,
    check_output_folder,
    same_file,
    shown_path,
)


def test_a_record_knows_the_files_it_wrote_and_no_other(tmp_path):
    record = OutputRecord(tmp_path)
    with record.writing(tmp_path / "sub" / "made.txt") as temporary:
        with open(temporary, "w") as handle:
            handle.write("made")
    (tmp_path / "mine.txt").write_text("the user's")
    assert record.state(tmp_path / "sub" / "made.txt") == "written"
    assert record.state(tmp_path / "mine.txt") == "foreign"
    assert record.state(tmp_path / "nowhere.txt") == "missing"
    again = OutputRecord(tmp_path)  # read back from the folder's record
    assert again.state(tmp_path / "sub" / "made.txt") == "written"
    (tmp_path / "sub" / "made.txt").write_text("edited")  # the user changed it since
    assert again.state(tmp_path / "sub" / "made.txt") == "changed"
    assert "has changed since kinpaint wrote it" in again.refusal(tmp_path / "sub" / "made.txt")
    with pytest.raises(FileExistsError, match="mine.txt was not written by kinpaint"):
        again.check_replaceable(tmp_path / "mine.txt")


def test_a_symlink_to_a_recorded_file_is_not_the_recorded_file(tmp_path):
    record = OutputRecord(tmp_path)
    record_path = tmp_path / "made.txt"
    with record.writing(record_path) as temporary:
        open(temporary, "w").close()
    os.rename(record_path, tmp_path / "elsewhere.txt")
    os.symlink(tmp_path / "elsewhere.txt", record_path)
    assert record.state(record_path) == "foreign"


def test_a_kill_before_the_rename_leaves_a_line_without_its_file_and_a_cut_line_is_ignored(tmp_path, monkeypatch):
    record = OutputRecord(tmp_path)

    def killed(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        with record.writing(tmp_path / "a.txt") as temporary:
            open(temporary, "w").close()
    monkeypatch.undo()
    assert record.state(tmp_path / "a.txt") == "missing" and os.listdir(tmp_path) == [OUTPUTS_RECORD]
    with open(tmp_path / OUTPUTS_RECORD, "a") as handle:
        handle.write('{"file": "b.txt", "si')  # a line cut by a kill
    assert OutputRecord(tmp_path).entries.keys() == {"a.txt"}


def test_same_file_sees_symlinks_and_hard_links(tmp_path):
    (tmp_path / "a").write_text("x")
    os.link(tmp_path / "a", tmp_path / "hard")
    os.symlink(tmp_path / "a", tmp_path / "soft")
    (tmp_path / "b").write_text("x")
    assert same_file(tmp_path / "a", tmp_path / "hard") and same_file(tmp_path / "soft", tmp_path / "a")
    assert not same_file(tmp_path / "a", tmp_path / "b") and not same_file(tmp_path / "a", tmp_path / "missing")


def test_an_output_is_never_an_input_nor_a_folder_holding_one(tmp_path):
    (tmp_path / "model.keras").write_text("weights")
    os.link(tmp_path / "model.keras", tmp_path / "linked.onnx")
    with pytest.raises(ValueError, match=r"--out .*linked.onnx is the model .*model.keras: a command never replaces"):
        check_not_an_input(tmp_path / "linked.onnx", {"model": str(tmp_path / "model.keras")})
    with pytest.raises(ValueError, match="holds the model"):
        check_not_an_input(tmp_path, {"model": str(tmp_path / "model.keras")})
    check_not_an_input(tmp_path / "other.onnx", {"model": str(tmp_path / "model.keras"), "preset": "photos",
                                                 "nothing": None})


def test_an_output_folder_is_checked_before_any_work(tmp_path):
    (tmp_path / "a_file").write_text("mine")
    with pytest.raises(NotADirectoryError, match="a_file is a file; kinpaint writes a folder there"):
        check_output_folder(tmp_path / "a_file", ["results.md"], force=True)
    with pytest.raises(NotADirectoryError, match="is below .*a_file, a file"):
        check_output_folder(tmp_path / "a_file" / "deeper" / "report", ["results.md"], force=True)
    (tmp_path / "report").mkdir()
    with pytest.raises(FileExistsError, match="already exists"):
        check_output_folder(tmp_path / "report", ["results.md"])
    (tmp_path / "report" / "results.md").write_text("the user's own")
    with pytest.raises(FileExistsError, match="results.md was not written by kinpaint evaluate"):
        check_output_folder(tmp_path / "report", ["results.md"], force=True, command="kinpaint evaluate")
    os.remove(tmp_path / "report" / "results.md")
    os.symlink(tmp_path / "a_file", tmp_path / "report" / "results.md")
    with pytest.raises(ValueError, match="results.md is the --data store"):
        check_output_folder(tmp_path / "report", ["results.md"], force=True, inputs={"--data store": tmp_path / "a_file"})
    os.remove(tmp_path / "report" / "results.md")
    record = check_output_folder(tmp_path / "report", ["results.md"], force=True)
    with record.writing(tmp_path / "report" / "results.md") as temporary:
        with open(temporary, "w") as file:
            file.write("a report")
    check_output_folder(tmp_path / "report", ["results.md"], force=True)  # its own report: replaced


@pytest.mark.parametrize("name, shown", [
    ("a\nfailed: forged.png: fine", "a\\nfailed: forged.png: fine"),
    ("tab\there\rcarriage", "tab\\there\\rcarriage"),
    ("\x1b[2Jclear", "\\x1b[2Jclear"),
    ("right\u202eto left", "right\\u202eto left"),
    (os.fsdecode(b"latin-1 \xe9t\xe9"), "latin-1 \\xe9t\\xe9"),
    ("été/日本.png", "été/日本.png"),
    ("back\\slash", "back\\\\slash"),
])
def test_a_shown_path_is_one_printable_line(name, shown):
    assert shown_path(name) == shown
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    stream.write(shown_path(name))  # never a UnicodeEncodeError
    assert "\n" not in shown_path(name) and json.dumps(shown_path(name))


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_the_record_is_never_appended_to_a_file_it_links_to(tmp_path, link):
    (tmp_path / "notes.txt").write_text("the user's notes\n")
    (tmp_path / "out").mkdir()
    (os.symlink if link == "symbolic" else os.link)(tmp_path / "notes.txt", tmp_path / "out" / OUTPUTS_RECORD)
    with pytest.raises(OSError):
        with OutputRecord(tmp_path / "out").writing(tmp_path / "out" / "a.txt") as temporary:
            open(temporary, "w").close()
    assert (tmp_path / "notes.txt").read_text() == "the user's notes\n" and not (tmp_path / "out" / "a.txt").exists()


def test_a_file_another_command_wrote_is_not_this_ones(tmp_path):
    with OutputRecord(tmp_path, "kinpaint evaluate").writing(tmp_path / "grid.png") as temporary:
        open(temporary, "w").close()
    assert OutputRecord(tmp_path, "kinpaint evaluate").state(tmp_path / "grid.png") == "written"
    assert OutputRecord(tmp_path, "kinpaint inpaint").state(tmp_path / "grid.png") == "foreign"
