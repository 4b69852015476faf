"""Legal-move masks of a whole batch of boards at once (what the network evaluator masks its policy with).

The batch version of ``Board.legal_mask``, vectorised over the whole batch:
an empty point with an empty neighbour is legal (never suicide, never the ko
point); a surrounded empty point (every neighbour a stone or the edge) is
legal when it takes the last liberty of an enemy chain or joins a friendly
chain that keeps one, when suicide is allowed and it touches a friendly chain,
and never when it is the simple-ko point. The liberty classes come from
``engine.features.board_arrays``, which the network's features compute (and
keep on the board) anyway.
"""

from __future__ import annotations

import numpy as np

from engine.color import EMPTY
from engine.features import board_arrays
from engine.grid import neighbor_array


def legal_masks(boards: list) -> np.ndarray:
    """``Board.legal_mask()`` of each board (side to move), ``[len(boards), area + 1]``, one size."""
    first = boards[0]
    area, h, w = first.area, first.height, first.width
    count = len(boards)
    stones = np.zeros((count, area + 1), dtype=np.int8)   # column ``area``: the edge sentinel
    stones[:, :area] = np.stack([b.stones_flat() for b in boards])
    empty = stones[:, :area] == EMPTY
    padded = np.zeros((count, h + 2, w + 2), dtype=bool)   # empty points with an off-board frame
    padded[:, 1:-1, 1:-1] = empty.reshape(count, h, w)
    free = padded[:, :-2, 1:-1] | padded[:, 2:, 1:-1]     # an empty neighbour above or below,
    free |= padded[:, 1:-1, :-2]                           # to the left
    free |= padded[:, 1:-1, 2:]                            # or to the right
    free = free.reshape(count, area)
    mask = np.empty((count, area + 1), dtype=bool)
    np.logical_and(empty, free, out=mask[:, :area])
    mask[:, area] = True
    rows, points = np.nonzero(empty & ~free)
    if len(rows):
        mask[rows, points] = _surrounded_legal(boards, stones, rows, points,
                                               neighbor_array(w, h))
    return mask


def _surrounded_legal(boards: list, stones: np.ndarray, rows: np.ndarray, points: np.ndarray,
                      nbrs: np.ndarray) -> np.ndarray:
    """Legality of surrounded empty ``points`` (one per entry of ``rows``): capture, connection, suicide, ko."""
    area = boards[0].area
    libs = np.zeros((len(boards), area + 1), dtype=np.int8)   # liberty class: 1, 2, 3 = three or more
    needed = np.unique(rows).tolist()
    libs[needed, :area] = np.stack([board_arrays(boards[r])[1].ravel() for r in needed])
    me = np.array([b.to_play for b in boards], dtype=np.int8)[rows, None]
    around = nbrs[points]                                       # [k, 4], edge = area
    colour = stones[rows[:, None], around]
    liberty = libs[rows[:, None], around]
    legal = (((colour == me) & (liberty >= 2)) | ((colour == -me) & (liberty == 1))).any(axis=1)
    suicide_ok = np.array([b.suicide_allowed for b in boards])[rows]
    legal |= suicide_ok & (colour == me).any(axis=1)
    ko_point = np.array([b.ko_point if b.ko_color == b.to_play else -1 for b in boards])[rows]
    legal &= points != ko_point
    return legal
