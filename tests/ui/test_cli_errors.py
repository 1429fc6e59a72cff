"""The CLI's answers to bad arguments, a vanished reader and an unwritable index: a message and a non-zero exit."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from ui.cli import build_parser, main, storage_problem


@pytest.mark.parametrize("argv", [["search", "-k", "0", "x"], ["search", "-k", "-3", "x"],
                                  ["ask", "--from", "notadate", "q"], ["ask", "--to", "2019-13-01", "q"]])
def test_bad_numbers_and_dates_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "expected" in err and argv[-2] in err


def test_good_dates_pass():
    args = build_parser().parse_args(["ask", "--from", "2019", "--to", "2020-06-30", "q"])
    assert (args.date_from, args.date_to) == ("2019", "2020-06-30")


def test_storage_problems_are_named(tmp_path):
    import errno
    import sqlite3

    assert "read-only" in storage_problem(OSError(errno.EROFS, "Read-only file system"), tmp_path)
    assert "disk is full" in storage_problem(sqlite3.OperationalError("database or disk is full"), tmp_path)
    assert storage_problem(OSError(errno.ENOENT, "No such file"), tmp_path) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_read_only_index_dir_is_a_clear_error(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    (tmp_path / "a.txt").write_text("Darlington children's services were rated inadequate by Ofsted. " * 5)
    assert main(["ingest", "--index", str(ro / "idx"), str(tmp_path / "a.txt")]) == 2
    assert "cannot write" in capsys.readouterr().err.lower()


def test_read_only_error_from_a_command(tmp_path, monkeypatch, capsys):
    import errno

    def refuse(args):
        raise OSError(errno.EROFS, "Read-only file system", ".lock")

    monkeypatch.setattr("ui.cli.cmd_list", refuse)
    assert main(["list", "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err.lower() and "read-only" in err and "Traceback" not in err


def test_broken_pipe_is_quiet(built_index):
    cmd = (f"{sys.executable} -m ui.cli search --index {built_index} -k 20 caseloads social workers | head -c 10")
    out = subprocess.run(["bash", "-c", cmd], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_reader_gone_before_the_first_line(built_index):
    """`| true` has left before brief prints anything, so the pipe is surely broken: exit 141 and no traceback."""
    cmd = (f"{sys.executable} -m ui.cli search --index {built_index} -k 20 caseloads social workers | true; "
           "echo status=${PIPESTATUS[0]}")
    out = subprocess.run(["bash", "-c", cmd], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "status=141" in out.stdout
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr
