"""Atomic writes: the target holds the old content or the new, never a part, and no temporary file stays."""
from __future__ import annotations

import threading

import pytest

from engine.atomic_files import replacing, temporary_sibling, write_bytes_atomic, write_text_atomic


def test_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    write_text_atomic(target, '{"generation": 4}')
    assert target.read_text() == '{"generation": 4}'
    write_bytes_atomic(target, b"\x00\x01", durable=True)
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_an_error_while_writing_keeps_the_old_file(tmp_path):
    target = tmp_path / "games.jsonl"
    target.write_text("line 1\n")
    with pytest.raises(RuntimeError, match="disk full"):
        with replacing(target) as tmp:
            tmp.write_text("half a li")
            raise RuntimeError("disk full")
    assert target.read_text() == "line 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["games.jsonl"]


def test_a_writer_that_writes_nothing_raises_and_creates_nothing(tmp_path):
    target = tmp_path / "x.sgf"
    with pytest.raises(FileNotFoundError):   # os.replace of a file never written
        with replacing(target):
            pass
    assert not target.exists() and not list(tmp_path.iterdir())


def test_temporary_names_differ_between_threads_and_end_in_tmp(tmp_path):
    target = tmp_path / "net.onnx"
    names, barrier = set(), threading.Barrier(4)   # all alive at once: thread idents are not reused

    def name_it():
        names.add(temporary_sibling(target))
        barrier.wait()

    threads = [threading.Thread(target=name_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names.add(temporary_sibling(target))
    assert len(names) == 5
    assert all(n.parent == tmp_path and n.name.startswith("net.onnx.") and n.suffix == ".tmp" for n in names)


def test_concurrent_writers_of_one_file_leave_one_whole_version(tmp_path):
    target = tmp_path / "ratings.json"
    versions = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=write_bytes_atomic, args=(target, v)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_bytes() in versions
    assert [p.name for p in tmp_path.iterdir()] == ["ratings.json"]
