"""Compiled kernels (numba) for the search's per-visit work: boards as arrays, features, the tree.

Optional: ``pip install 'zerogo[cpu-fast]'`` brings numba; without it (or
with a numba that cannot load, e.g. built for another numpy) nothing here is
used and the search runs on the Python tree. ``available()`` says which.
"""

from __future__ import annotations


def available() -> bool:
    """True when numba imports (the compiled kernels can run)."""
    try:
        import numba  # noqa: F401
    except Exception:  # noqa: BLE001 - ImportError, or a numba built for another numpy
        return False
    return True
