"""The loadsgf/printsgf file policy: one folder and below, regular files only, bounded reads."""

from __future__ import annotations

import os
import time

import pytest

from gtp.server.sgf_files import SgfFileError, SgfFiles

GAME = b"(;GM[1]FF[4]SZ[9];B[cc];W[gg])"


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "games"
    (root / "sub").mkdir(parents=True)
    (root / "a.sgf").write_bytes(GAME)
    (root / "sub" / "b.sgf").write_bytes(GAME)
    (tmp_path / "secret.sgf").write_bytes(GAME)
    return root


def test_inside_the_folder_is_allowed(folder):
    files = SgfFiles(folder)
    assert files.read("a.sgf") == GAME and files.read("sub/b.sgf") == GAME
    assert files.read("sub/../a.sgf") == GAME
    assert files.read(str(folder / "a.sgf")) == GAME      # absolute, but inside
    files.write("sub/out.sgf", GAME)
    assert (folder / "sub" / "out.sgf").read_bytes() == GAME
    files.write("sub/out.sgf", b"(;GM[1])")                 # overwrite truncates
    assert (folder / "sub" / "out.sgf").read_bytes() == b"(;GM[1])"


@pytest.mark.parametrize("name", ["../secret.sgf", "sub/../../secret.sgf", "/etc/passwd",
                                  "/dev/zero", "/dev/stdin", "~/x.sgf", "/proc/self/environ"])
def test_outside_is_refused_without_echoing_absolute_paths(folder, name):
    files = SgfFiles(folder)
    for op in (lambda: files.read(name), lambda: files.write(name, GAME)):
        with pytest.raises(SgfFileError) as info:
            op()
        text = str(info.value)
        assert str(folder) not in text and str(folder.parent) not in text
        assert not os.path.isabs(name) or name not in text
    assert (folder.parent / "secret.sgf").read_bytes() == GAME


def test_symlinks_cannot_escape(folder):
    (folder / "out").symlink_to(folder.parent / "secret.sgf")
    (folder / "up").symlink_to(folder.parent)
    (folder / "inside").symlink_to(folder / "a.sgf")
    files = SgfFiles(folder)
    for name in ("out", "up/secret.sgf"):
        with pytest.raises(SgfFileError, match="outside the SGF folder"):
            files.read(name)
        with pytest.raises(SgfFileError, match="outside the SGF folder"):
            files.write(name, b"x")
    assert (folder.parent / "secret.sgf").read_bytes() == GAME
    assert files.read("inside") == GAME


def test_fifo_and_directories_refused_without_blocking(folder):
    os.mkfifo(folder / "pipe.sgf")
    files = SgfFiles(folder)
    t = time.monotonic()
    with pytest.raises(SgfFileError, match="not a regular file"):
        files.read("pipe.sgf")
    with pytest.raises(SgfFileError, match="cannot write 'pipe.sgf'"):
        files.write("pipe.sgf", GAME)        # no reader: ENXIO at once, never blocks
    with pytest.raises(SgfFileError, match="not a regular file|Is a directory"):
        files.read("sub")
    with pytest.raises(SgfFileError):
        files.write("sub", GAME)
    assert time.monotonic() - t < 5


def test_size_limit_and_missing_file(folder):
    (folder / "big.sgf").write_bytes(b"x" * 5000)
    files = SgfFiles(folder, max_bytes=1000)
    with pytest.raises(SgfFileError, match="'big.sgf' is larger than the limit of 1000 bytes"):
        files.read("big.sgf")
    with pytest.raises(SgfFileError, match="cannot open 'nope.sgf': No such file"):
        files.read("nope.sgf")


def test_allow_any_path_reaches_outside_but_still_only_regular_files(folder):
    files = SgfFiles(folder, allow_any_path=True)
    assert files.read(str(folder.parent / "secret.sgf")) == GAME
    t = time.monotonic()
    with pytest.raises(SgfFileError, match="not a regular file"):
        files.read("/dev/zero")
    assert time.monotonic() - t < 5


# ------------------------------------------------------------- through GTP
def test_gtp_loadsgf_printsgf_confined_by_default(folder, monkeypatch):
    from tests.gtp_session import make_engine, session
    monkeypatch.chdir(folder)
    (folder / "link.sgf").symlink_to(folder.parent / "secret.sgf")
    t = time.monotonic()
    replies = session(["loadsgf a.sgf", "printsgf sub/new.sgf", "loadsgf /etc/passwd",
                       "loadsgf ../secret.sgf", "printsgf ../secret.sgf", "printsgf link.sgf",
                       "loadsgf /dev/zero", "loadsgf /dev/stdin", "printsgf /tmp/zerogo-x.sgf",
                       "name"], make_engine())
    assert time.monotonic() - t < 10
    assert replies[0] == "= black" and replies[1] == "= "
    assert (folder / "sub" / "new.sgf").read_bytes().startswith(b"(;")
    for r in replies[2:9]:
        assert r.startswith("? cannot") and "outside the SGF folder" in r, r
        assert str(folder) not in r and "/etc" not in r and "/dev" not in r
    assert replies[9] == "= zerogo"
    assert (folder.parent / "secret.sgf").read_bytes() == GAME
    assert not os.path.exists("/tmp/zerogo-x.sgf")


def test_gtp_sgf_dir_and_allow_any_path(folder, tmp_path):
    from tests.gtp_session import make_engine, session
    replies = session(["loadsgf b.sgf", "loadsgf ../a.sgf"], make_engine(sgf_dir=str(folder / "sub")))
    assert replies[0] == "= black" and replies[1].startswith("? cannot load file")
    anywhere = make_engine(sgf_dir=str(folder), allow_any_path=True)
    replies = session([f"loadsgf {folder.parent / 'secret.sgf'}", "loadsgf /dev/zero"], anywhere)
    assert replies[0] == "= black" and "not a regular file" in replies[1]


def test_gtp_help_documents_the_file_options():
    from click.testing import CliRunner

    from gtp.server.cli import gtp_command
    text = CliRunner().invoke(gtp_command, ["--help"]).output
    assert "--sgf-dir" in text and "--allow-any-path" in text
