"""The network inputs of a compiled tree's leaf: zerogo's feature planes (``engine.features``) and legal mask."""

from __future__ import annotations

import numba

from engine.compiled.board_kernels import legal_mask, liberty_classes
from engine.compiled.pool import KOMI_NET, NET_RULES, SUICIDE
from engine.compiled.numba_cache import configure as configure_numba_cache

configure_numba_cache()   # before this module's kernels are compiled or loaded from the cache


@numba.njit(cache=True)
def _stone_planes(board, me, mine, theirs):
    """One history step: ``board``'s stones of the side to move into ``mine``, the opponent's into ``theirs``."""
    for p in range(board.shape[0]):
        s = board[p]
        mine[p] = 1.0 if s == me else 0.0
        theirs[p] = 1.0 if s == -me else 0.0


@numba.njit(cache=True)
def encode(pool, leaf, root, root_history, params, nbr, planes, glob, libs, legal):
    """Write one leaf's planes ``[C, h, w]``, globals, liberty classes and legal mask (zerogo's features).

    The history is the leaf's board, its ancestors', then the root's game
    history (``root_history [k, area]``, newest first, the root's board not
    included), eight boards in all, zeros where the game is shorter. Every
    plane is written whole (the batch's array need not be cleared).
    """
    area = planes.shape[1] * planes.shape[2]
    flat = planes.reshape(planes.shape[0], area)
    me = pool.to_play[leaf]
    history = (planes.shape[0] - 5) // 2
    node, i = leaf, 0
    while i < history:
        _stone_planes(pool.stones[node], me, flat[1 + 2 * i], flat[2 + 2 * i])
        i += 1
        if node == root:
            break
        node = pool.parent[node]
    for j in range(min(history - i, root_history.shape[0])):
        _stone_planes(root_history[j], me, flat[1 + 2 * i], flat[2 + 2 * i])
        i += 1
    for k in range(1 + 2 * i, 1 + 2 * history):
        flat[k, :] = 0.0
    stones = pool.stones[leaf]
    liberty_classes(stones, nbr, libs)
    base = 1 + 2 * history
    for p in range(area):
        flat[0, p] = 1.0
        cls = libs[p]
        flat[base, p] = 1.0 if cls == 1 else 0.0
        flat[base + 1, p] = 1.0 if cls == 2 else 0.0
        flat[base + 2, p] = 1.0 if cls == 3 else 0.0
    flat[base + 3, :] = 0.0
    ko = pool.ko[leaf]
    if ko >= 0:
        flat[base + 3, ko] = 1.0
    glob[0] = (params[KOMI_NET] if me == -1 else -params[KOMI_NET]) / 20.0
    glob[1] = 1.0 if me == 1 else 0.0
    for k in range(4):                      # the rules as the net sees them (engine.features.rule_inputs)
        glob[2 + k] = params[NET_RULES + k]
    glob[6] = 1.0 if pool.passes[leaf] >= 1 else 0.0
    legal_mask(stones, libs, me, ko, nbr, params[SUICIDE] != 0, legal)
