"""Where numba keeps the compiled kernels: a folder keyed by the kernels' sources.

numba's own cache sits beside each file and is checked against that file
only, so a kernel that calls a kernel in another file keeps running the old
callee after the callee's file changes (a ``git pull`` that edits
``feature_kernels.py`` left ``tree_kernels``' cached search on the old
features). Keying the folder by a hash of every source here makes any edit
start a fresh cache. ``NUMBA_CACHE_DIR``, when set, is left alone.

The first use each day stamps its folder (``last-used``) and removes the
folders of other sources not used for ``STALE_DAYS`` (older checkouts,
earlier versions); other starts only read the stamp's time. So
the cache does not grow by a folder (about 9 MB) with every kernel edit while
a second checkout in use keeps its own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAMP = "last-used"
STALE_DAYS = 30


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
    folder = cache_folder()
    numba.config.CACHE_DIR = str(folder)
    stamp = folder / STAMP
    try:
        if stamp.exists() and time.time() - stamp.stat().st_mtime < 86400:
            return                   # stamped and pruned today: nothing more at start-up
        folder.mkdir(parents=True, exist_ok=True)
        stamp.touch()
        prune_stale(folder.parent, keep=folder.name)
    except OSError:                  # a read-only or shared cache: numba copes, pruning can wait
        pass


def prune_stale(root: Path, keep: str, max_age_days: float = STALE_DAYS, now: float | None = None) -> list[Path]:
    """Remove the folders under ``root`` but ``keep`` not used (stamp, else folder time) in ``max_age_days``."""
    now = time.time() if now is None else now
    removed = []
    for child in root.iterdir():
        if child.name == keep or not child.is_dir():
            continue
        stamp = child / STAMP
        used = (stamp if stamp.exists() else child).stat().st_mtime
        if now - used > max_age_days * 86400:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed
