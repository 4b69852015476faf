"""Compiled kernels (numba) for the search's per-visit work: boards as arrays, features, legality.

Optional: ``pip install 'zerogo[cpu-fast]'`` brings numba; without it nothing
here is imported and the search runs its Python path. ``available()`` says
which, without importing numba.
"""

from __future__ import annotations

import importlib.util


def available() -> bool:
    """True when numba can be imported (the compiled kernels can run)."""
    return importlib.util.find_spec("numba") is not None
