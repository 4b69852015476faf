"""Atomic file writes: a reader (or a resumed run) sees the old file or the new one, never half of one.

Every writer goes through a temporary file beside the target (``NAME.<pid>-<thread>.tmp``, so
concurrent writers of one name cannot clash) and ``os.replace``; on any error the temporary file
is removed and the target is left as it was. ``durable=True`` also fsyncs the data before the
rename, for files a crash must not lose (shards, checkpoints).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """The temporary name used for writing ``path``: unique to this process and thread."""
    return path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")


@contextmanager
def replacing(path: str | os.PathLike, durable: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on a clean exit it replaces ``path``, on an error it is removed."""
    target = Path(path)
    tmp = temporary_sibling(target)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def write_bytes_atomic(path: str | os.PathLike, data: bytes, durable: bool = False) -> None:
    """Write ``data`` to ``path`` atomically."""
    with replacing(path, durable) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike, text: str, durable: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"), durable)
