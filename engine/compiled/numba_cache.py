"""Where numba keeps the compiled kernels: a folder keyed by the kernels' sources.

numba's own cache sits beside each file and is checked against that file
only, so a kernel that calls a kernel in another file keeps running the old
callee after the callee's file changes (a ``git pull`` that edits
``feature_kernels.py`` left ``tree_kernels``' cached search on the old
features). Keying the folder by a hash of every source here makes any edit
start a fresh cache. ``NUMBA_CACHE_DIR``, when set, is left alone.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sources_digest(folder: Path = HERE) -> str:
    """A short hash of the kernels' Python sources (every ``*.py`` in ``folder``)."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_folder(env: dict | None = None) -> Path:
    """``$XDG_CACHE_HOME/zerogo/numba/<digest>`` (``~/.cache`` without XDG_CACHE_HOME)."""
    env = os.environ if env is None else env
    base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "zerogo" / "numba" / sources_digest()


def configure() -> None:
    """Point numba's cache at ``cache_folder()`` unless NUMBA_CACHE_DIR chose one (before any kernel compiles).

    Each kernel module calls it; the first call sets numba's CACHE_DIR, so the others hash nothing.
    """
    import numba
    if numba.config.CACHE_DIR:       # NUMBA_CACHE_DIR, or an earlier call
        return
    numba.config.CACHE_DIR = str(cache_folder())
