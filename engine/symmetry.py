"""The 8 symmetries of the board (the dihedral group), for planes and policy vectors.

Symmetry ``k`` in ``0..7`` acts on an array whose last two axes are
``(height, width)``:

1. if ``k & 4``: transpose the last two axes (the shape becomes ``(width, height)``),
2. then if ``k & 1``: flip the rows (up-down),
3. then if ``k & 2``: flip the columns (left-right).

``k = 0`` is the identity. On a rectangular board the transposing symmetries
(``k >= 4``) change the shape from ``h x w`` to ``w x h``; the network is
fully convolutional, so it accepts either shape, and callers that need the
board's own shape can restrict themselves to ``k < 4`` (see
``shape_preserving``).

A policy vector is flat over ``area + 1`` moves, ``row * width + col`` with
pass last; pass is fixed by every symmetry.
"""

from __future__ import annotations

import numpy as np

NUM_SYMMETRIES = 8


class SymmetryError(ValueError):
    """A symmetry index outside 0..7 or a policy of the wrong length."""


def _check(k: int) -> None:
    if not 0 <= int(k) < NUM_SYMMETRIES:
        raise SymmetryError(f"symmetry index {k!r} is not in 0..7")


def inverse_symmetry(k: int) -> int:
    """The index of the symmetry that undoes ``k``."""
    _check(k)
    if k & 4:  # T then F_r^a F_c^b is undone by F_r^a F_c^b then T = T then F_c^a F_r^b
        return 4 | ((k & 1) << 1) | ((k & 2) >> 1)
    return k


def transformed_shape(k: int, height: int, width: int) -> tuple[int, int]:
    """The (height, width) of an ``height x width`` board after symmetry ``k``."""
    _check(k)
    return (width, height) if k & 4 else (height, width)


def shape_preserving(height: int, width: int) -> list[int]:
    """The symmetries that keep an ``height x width`` board's shape (all 8 if square)."""
    return list(range(8)) if height == width else [0, 1, 2, 3]


def apply_symmetry_planes(x: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to ``x`` of shape ``[..., H, W]`` (returns a copy)."""
    _check(k)
    if k & 4:
        x = np.swapaxes(x, -1, -2)
    if k & 1:
        x = x[..., ::-1, :]
    if k & 2:
        x = x[..., :, ::-1]
    return np.ascontiguousarray(x)


def inverse_symmetry_planes(x: np.ndarray, k: int) -> np.ndarray:
    """Undo symmetry ``k`` on ``x`` of shape ``[..., H', W']`` (the transformed frame)."""
    return apply_symmetry_planes(x, inverse_symmetry(k))


def apply_symmetry_policy(policy: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
    """Map a flat policy ``[area + 1]`` (or ``[N, area + 1]``) of a ``width x height`` board.

    The result is indexed in the transformed board's frame (``height x width``
    transposed when ``k & 4``); pass stays last.
    """
    return _policy_map(policy, k, width, height)


def inverse_symmetry_policy(policy: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
    """Undo ``apply_symmetry_policy``: ``width, height`` are the ORIGINAL board's size."""
    th, tw = transformed_shape(k, height, width)
    return _policy_map(policy, inverse_symmetry(k), tw, th)


def _policy_map(policy: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
    """Apply symmetry ``k`` to the board part of a policy over a ``width x height`` board."""
    area = width * height
    if policy.shape[-1] != area + 1:
        raise SymmetryError(
            f"policy has {policy.shape[-1]} entries, a {width}x{height} board needs {area + 1}")
    lead = policy.shape[:-1]
    board = policy[..., :area].reshape(*lead, height, width)
    moved = apply_symmetry_planes(board, k).reshape(*lead, area)
    return np.concatenate([moved, policy[..., area:]], axis=-1)


def move_permutation(k: int, width: int, height: int) -> np.ndarray:
    """``perm`` with ``apply_symmetry_policy(p, k)[j] == p[perm[j]]`` (int64, pass fixed)."""
    idx = np.arange(width * height + 1)
    return _policy_map(idx, k, width, height)


def apply_each(x: np.ndarray, syms) -> np.ndarray:
    """Row ``j`` of ``x`` (``[N, ..., H, W]``) under symmetry ``syms[j]``, in place (shape-preserving symmetries)."""
    syms = np.asarray(syms)
    for k in np.unique(syms[syms > 0]).tolist():
        rows = syms == k
        x[rows] = apply_symmetry_planes(x[rows], k)
    return x


def undo_each(logits: np.ndarray, own: np.ndarray, syms, width: int, height: int) -> None:
    """Undo symmetry ``syms[j]`` on row ``j`` of a batch's policy logits and ownership, in place."""
    syms = np.asarray(syms)
    for k in np.unique(syms[syms > 0]).tolist():
        rows = syms == k
        logits[rows] = inverse_symmetry_policy(logits[rows], k, width, height)
        own[rows] = inverse_symmetry_planes(own[rows], k)
