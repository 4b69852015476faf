"""The grid a board is played on: neighbour and diagonal tables, Zobrist keys, chains by flood fill.

Every table is built once per board size and cached; points are flat indices
``row * width + col`` (see ``coords``). ``engine.board`` keeps its groups and
liberties incrementally; ``flood_chains`` finds them from scratch (setup from
a diagram, and the checks in the tests).
"""

from __future__ import annotations

import random
from functools import lru_cache

import numpy as np

from engine.color import BLACK, EMPTY, WHITE


def _offset_table(width: int, height: int, offsets) -> tuple[tuple[int, ...], ...]:
    """For each flat point, the on-board points at the given (row, col) offsets."""
    table = []
    for p in range(width * height):
        r, c = divmod(p, width)
        table.append(tuple((r + dr) * width + c + dc for dr, dc in offsets
                           if 0 <= r + dr < height and 0 <= c + dc < width))
    return tuple(table)


@lru_cache(maxsize=None)
def neighbor_table(width: int, height: int) -> tuple[tuple[int, ...], ...]:
    """For each flat point, the flat indices of its orthogonal neighbours."""
    return _offset_table(width, height, ((-1, 0), (1, 0), (0, -1), (0, 1)))


@lru_cache(maxsize=64)
def neighbor_array(width: int, height: int) -> np.ndarray:
    """``[area, 4]`` neighbour indices, padded with ``area`` (a sentinel slot) on the edges."""
    area = width * height
    out = np.full((area, 4), area, dtype=np.intp)
    for p, nbrs in enumerate(neighbor_table(width, height)):
        out[p, :len(nbrs)] = nbrs
    return out


@lru_cache(maxsize=None)
def diagonal_table(width: int, height: int) -> tuple[tuple[int, ...], ...]:
    """For each flat point, the flat indices of its diagonal neighbours."""
    return _offset_table(width, height, ((-1, -1), (-1, 1), (1, -1), (1, 1)))


@lru_cache(maxsize=None)
def zobrist_table(width: int, height: int) -> tuple[dict[int, tuple[int, ...]], int]:
    """Random 64-bit keys per (colour, point), and a key for white to move."""
    rng = random.Random(0x5EED + width * 1000 + height)
    keys = {
        BLACK: tuple(rng.getrandbits(64) for _ in range(width * height)),
        WHITE: tuple(rng.getrandbits(64) for _ in range(width * height)),
    }
    return keys, rng.getrandbits(64)


def flood_chains(stones: list[int], nbrs) -> dict[int, tuple[int, frozenset, frozenset]]:
    """Chains found by flood fill: point -> (colour, stones, liberties); ``nbrs`` from ``neighbor_table``."""
    out: dict[int, tuple[int, frozenset, frozenset]] = {}
    for p, s in enumerate(stones):
        if s == EMPTY or p in out:
            continue
        chain, libs, todo = {p}, set(), [p]
        while todo:
            q = todo.pop()
            for n in nbrs[q]:
                if stones[n] == EMPTY:
                    libs.add(n)
                elif stones[n] == s and n not in chain:
                    chain.add(n)
                    todo.append(n)
        entry = (s, frozenset(chain), frozenset(libs))
        for q in chain:
            out[q] = entry
    return out
