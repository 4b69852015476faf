"""Where ``loadsgf`` and ``printsgf FILE`` may read and write: one folder and below, regular files only.

A GTP engine does what its controller says, and a controller may be a
stranger on a socket. By default ``SgfFiles`` confines file names to the
working directory (``--sgf-dir DIR`` chooses another root):

* the name is taken relative to the root (an absolute name must lie inside
  it); ``..`` and symlinks are resolved first, so neither can lead out;
* reading opens the file without blocking (FIFOs, ``/dev/stdin`` and other
  devices are refused before anything is read) and reads at most the SGF
  size limit plus one byte (``/dev/zero`` cannot fill the memory);
* writing refuses a symlink as the last component (``O_NOFOLLOW``) and
  anything but a regular file;
* errors name the file only as the client gave it when that was a relative
  name, never an absolute path (the root's location stays private).

``--allow-any-path`` restores the old behaviour (any path the process can
reach; still regular files only and the size limit).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path


class SgfFileError(ValueError):
    """A file name outside the allowed folder, or a file that is not a plain SGF file."""


@dataclass
class SgfFiles:
    """The file policy for loadsgf/printsgf (see the module docstring)."""

    root: Path | str = "."
    allow_any_path: bool = False
    max_bytes: int = 16 << 20

    def _shown(self, name: str) -> str:
        """The name for an error message: as given if relative, else a neutral word."""
        return repr(name) if name and not os.path.isabs(name) and len(name) <= 200 else "that file"

    def resolve(self, name: str) -> Path:
        """The absolute path for ``name``; SgfFileError when it leads outside the root."""
        if not name or "\0" in name:
            raise SgfFileError("empty or invalid file name")
        root = Path(self.root).resolve()
        path = Path(name).expanduser() if self.allow_any_path else Path(name)
        full = (root / path) if not path.is_absolute() else path
        if self.allow_any_path:
            return full
        real = full.resolve()      # follows .. and every symlink, existing or not
        if real != root and root not in real.parents:
            raise SgfFileError(f"{self._shown(name)} is outside the SGF folder "
                               "(see --sgf-dir and --allow-any-path)")
        return real

    def read(self, name: str) -> bytes:
        """The bytes of a regular file (at most ``max_bytes``); SgfFileError otherwise."""
        path = self.resolve(name)
        shown = self._shown(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            raise SgfFileError(f"cannot open {shown}: {os.strerror(exc.errno or errno.EIO)}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise SgfFileError(f"{shown} is not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(self.max_bytes + 1)
        except OSError as exc:
            raise SgfFileError(f"cannot read {shown}: {os.strerror(exc.errno or errno.EIO)}") from None
        finally:
            os.close(fd)
        if len(data) > self.max_bytes:
            raise SgfFileError(f"{shown} is larger than the limit of {self.max_bytes} bytes")
        return data

    def write(self, name: str, data: bytes) -> None:
        """Write ``data`` to a regular file (created or truncated); never through a symlink."""
        path = self.resolve(name)
        shown = self._shown(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
        if not self.allow_any_path:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            reason = "it is a symlink" if exc.errno == errno.ELOOP else os.strerror(exc.errno or errno.EIO)
            raise SgfFileError(f"cannot write {shown}: {reason}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise SgfFileError(f"{shown} is not a regular file")
            os.ftruncate(fd, 0)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            raise SgfFileError(f"cannot write {shown}: {os.strerror(exc.errno or errno.EIO)}") from None
        finally:
            os.close(fd)
