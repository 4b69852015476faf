"""Go boards as flat int8 arrays, in numba: play with captures, ko and suicide; liberty classes; legal masks.

The same rules as ``engine.board.Board`` (which the tests hold these to,
move by move over random games), without its incremental chains: a board
is just ``stones`` (``BLACK`` 1, ``WHITE`` -1, ``EMPTY`` 0 per flat point),
the simple-ko point forbidden to the side to move (-1: none) and its
Zobrist hash (the Board's keys, so hashes and superko keys agree). Chains
are found by flood fill when needed: compiled, the liberty classes of a
whole 19x19 board take ~0.4 us and a legal mask ~0.9 us (measured inside
numba), so keeping chains incrementally would not pay.

Tables come from ``tables(width, height)``: ``nbr [area, 4]`` int32 with -1
off the board, ``zob [2, area]`` uint64 (row 0 black, row 1 white).
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from engine.color import BLACK
from engine.grid import neighbor_table, zobrist_table
from engine.compiled.numba_cache import configure as configure_numba_cache

configure_numba_cache()   # before this module's kernels are compiled or loaded from the cache

OK, OCCUPIED, KO, SUICIDE = 0, 1, 2, 3     # play()'s status


@lru_cache(maxsize=64)
def tables(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(neighbours ``[area, 4]`` int32, -1 padded; Zobrist keys ``[2, area]`` uint64) for a board size."""
    area = width * height
    nbr = np.full((area, 4), -1, np.int32)
    for p, ns in enumerate(neighbor_table(width, height)):
        nbr[p, :len(ns)] = ns
    keys = zobrist_table(width, height)[0]
    zob = np.array([keys[BLACK], keys[-BLACK]], dtype=np.uint64)
    nbr.flags.writeable = zob.flags.writeable = False
    return nbr, zob


@numba.njit(cache=True)
def _colour_row(color):
    return 0 if color == 1 else 1


@numba.njit(cache=True)
def _chain(stones, start, nbr, seen, members):
    """Fill ``members`` with the chain at ``start`` (marking ``seen``); returns (size, has a liberty)."""
    color = stones[start]
    members[0] = start
    seen[start] = True
    size, top, free = 1, 0, False
    while top < size:
        p = members[top]
        top += 1
        for k in range(4):
            q = nbr[p, k]
            if q < 0:
                break
            s = stones[q]
            if s == 0:
                free = True
            elif s == color and not seen[q]:
                seen[q] = True
                members[size] = q
                size += 1
    return size, free


@numba.njit(cache=True)
def play(stones, move, color, ko_point, nbr, zob, suicide_allowed):
    """Play ``color`` at ``move`` (a point, not pass) in place: (status, hash change, new ko point, captured).

    Nothing changes unless the status is ``OK``. A suicide allowed by the
    rules (a chain of two or more stones) removes the chain; a lone stone's
    suicide is illegal under every rule set, as in ``Board``.
    """
    if stones[move] != 0:
        return OCCUPIED, np.uint64(0), ko_point, 0
    if move == ko_point:
        return KO, np.uint64(0), ko_point, 0
    area = stones.shape[0]
    seen = np.zeros(area, np.bool_)
    members = np.empty(area, np.int32)
    row = _colour_row(color)
    delta = zob[row, move]
    stones[move] = color
    captured, last_captured, friends, empties = 0, -1, 0, 0
    for k in range(4):
        q = nbr[move, k]
        if q < 0:
            break
        s = stones[q]
        if s == 0:
            empties += 1
        elif s == color:
            friends += 1
        elif not seen[q]:
            size, free = _chain(stones, q, nbr, seen, members)
            if not free:
                other = 1 - row
                for j in range(size):
                    p = members[j]
                    stones[p] = 0
                    delta ^= zob[other, p]
                captured += size
                last_captured = members[0]
    if captured == 0 and empties == 0:
        seen[:] = False
        size, free = _chain(stones, move, nbr, seen, members)
        if not free:
            if not suicide_allowed or friends == 0:
                stones[move] = 0
                return SUICIDE, np.uint64(0), ko_point, 0
            for j in range(size):       # the chain dies (the new stone's key is in delta already)
                p = members[j]
                stones[p] = 0
                delta ^= zob[row, p]
            return OK, delta, -1, -size
    new_ko = -1
    if captured == 1 and friends == 0 and empties == 0:
        new_ko = last_captured          # a lone stone with one liberty, the point it just took
    return OK, delta, new_ko, captured


@numba.njit(cache=True)
def liberty_classes(stones, nbr, out):
    """``out[p]``: 0 for an empty point, else the liberties of its chain: 1, 2 or 3 (three or more)."""
    area = stones.shape[0]
    seen = np.zeros(area, np.bool_)
    members = np.empty(area, np.int32)
    lib_mark = np.full(area, -1, np.int32)      # the chain (its first point) a liberty was last counted for
    for p0 in range(area):
        if stones[p0] == 0:
            out[p0] = 0
            continue
        if seen[p0]:
            continue
        size, _ = _chain(stones, p0, nbr, seen, members)
        libs = 0
        for j in range(size):
            p = members[j]
            for k in range(4):
                q = nbr[p, k]
                if q < 0:
                    break
                if stones[q] == 0 and lib_mark[q] != p0:
                    lib_mark[q] = p0
                    libs += 1
            if libs >= 3:
                break
        cls = 3 if libs >= 3 else libs
        for j in range(size):
            out[members[j]] = cls


@numba.njit(cache=True)
def legal_mask(stones, libs, to_play, ko_point, nbr, suicide_allowed, out):
    """``out[:area + 1]`` (bool): the side to move's legal points under simple ko and the suicide rule, pass last.

    ``libs`` from ``liberty_classes``. The same rule as ``engine.legal``: an
    empty point with an empty neighbour is legal; a surrounded one when it
    captures, joins a chain that keeps a liberty, or (suicide allowed) joins
    any friendly chain; never the ko point.
    """
    area = stones.shape[0]
    for p in range(area):
        if stones[p] != 0:
            out[p] = False
            continue
        ok = False
        friend = False
        for k in range(4):
            q = nbr[p, k]
            if q < 0:
                break
            s = stones[q]
            if s == 0:
                ok = True
            elif s == to_play:
                friend = True
                if libs[q] >= 2:
                    ok = True
            elif libs[q] == 1:
                ok = True
        if not ok and suicide_allowed and friend:
            ok = True
        out[p] = ok and p != ko_point
    out[area] = True
