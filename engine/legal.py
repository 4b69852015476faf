"""Legal-move masks of a whole batch of boards at once (what the network evaluator masks its policy with).

The batch version of ``Board.legal_mask``: one vectorised pass over the
stones of every board, only the surrounded empty points checked one by one.
"""

from __future__ import annotations

import numpy as np

from engine.color import EMPTY
from engine.grid import neighbor_array


def legal_masks(boards: list) -> np.ndarray:
    """``Board.legal_mask()`` of each board (side to move), ``[len(boards), area + 1]``, one size.

    One vectorised pass over the whole batch: only surrounded empty points
    (no empty neighbour) are checked one by one.
    """
    first = boards[0]
    area = first.area
    empty = np.zeros((len(boards), area + 1), dtype=bool)   # column ``area``: the edge sentinel
    np.equal(np.stack([b.stones_flat() for b in boards]), EMPTY, out=empty[:, :area])
    free = empty[:, neighbor_array(first.width, first.height)].any(axis=2)
    mask = np.empty((len(boards), area + 1), dtype=bool)
    np.logical_and(empty[:, :area], free, out=mask[:, :area])
    mask[:, area] = True
    rows, points = np.nonzero(empty[:, :area] & ~free)
    for r, p in zip(rows.tolist(), points.tolist()):
        mask[r, p] = boards[r].illegal_reason(p) is None
    return mask
