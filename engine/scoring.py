"""Scoring: Tromp-Taylor area, area and territory with given dead and seki stones."""

from __future__ import annotations

import numpy as np

from engine.board import BLACK, EMPTY, WHITE, neighbor_table
from engine.rules import AREA


def empty_regions(stones: list[int], nbrs) -> list[tuple[list[int], set[int]]]:
    """Empty regions as (points, colours of the stones bordering them)."""
    seen = [False] * len(stones)
    out = []
    for p, s in enumerate(stones):
        if s != EMPTY or seen[p]:
            continue
        region, border, todo = [], set(), [p]
        seen[p] = True
        while todo:
            q = todo.pop()
            region.append(q)
            for n in nbrs[q]:
                if stones[n] == EMPTY:
                    if not seen[n]:
                        seen[n] = True
                        todo.append(n)
                else:
                    border.add(stones[n])
        out.append((region, border))
    return out


def _without(board, dead) -> list[int]:
    stones = list(board.stones)
    for p in dead:
        stones[p] = EMPTY
    return stones


def area_ownership(board, dead=frozenset()) -> np.ndarray:
    """int8 (height, width): each stone's colour, or the only colour an empty region touches.

    Tromp-Taylor ownership of the board as it stands (+1 black, -1 white, 0
    neither), after removing ``dead`` stones.
    """
    stones = _without(board, dead)
    own = np.array(stones, np.int8)
    for region, border in empty_regions(stones, neighbor_table(board.width, board.height)):
        if len(border) == 1:
            own[region] = border.pop()
    return own.reshape(board.height, board.width)


def area_counts(board, dead=frozenset()) -> dict[int, int]:
    """Stones plus surrounded empty points for each colour, dead stones removed."""
    stones = _without(board, dead)
    counts = {BLACK: stones.count(BLACK), WHITE: stones.count(WHITE)}
    for region, border in empty_regions(stones, neighbor_table(board.width, board.height)):
        if len(border) == 1:
            counts[border.pop()] += len(region)
    return counts


def territory_counts(board, dead=frozenset(), seki=frozenset()) -> dict[int, int]:
    """Territory plus prisoners for each colour (captures and dead stones).

    Empty regions that touch a stone listed in ``seki`` count for no one
    (the seki stones come from ``engine.deadstones.find_status``).
    """
    stones = _without(board, dead)
    counts = {BLACK: board.captures[BLACK], WHITE: board.captures[WHITE]}
    for p in dead:
        counts[-board.stones[p]] += 1
    nbrs = neighbor_table(board.width, board.height)
    for region, border in empty_regions(stones, nbrs):
        if len(border) != 1:
            continue
        if seki and any(n in seki for q in region for n in nbrs[q]):
            continue
        counts[border.pop()] += len(region)
    return counts


def score(game, dead=frozenset(), seki=frozenset()) -> float:
    """Black minus white (komi and handicap compensation included) under game.rules."""
    rules, board = game.rules, game.board
    dead = frozenset(dead)
    if rules.scoring == AREA:
        counts = area_counts(board, dead)
    else:
        counts = territory_counts(board, dead, frozenset(seki))
    white_bonus = rules.komi + rules.handicap_compensation(game.handicap)
    return counts[BLACK] - counts[WHITE] - white_bonus


def tromp_taylor_score(board, komi: float) -> float:
    """Plain Tromp-Taylor area score of the board as it stands: black minus white minus komi."""
    counts = area_counts(board)
    return counts[BLACK] - counts[WHITE] - komi


def result_string(margin: float) -> str:
    """GTP final_score text for a black-minus-white margin: ``B+3.5``, ``W+0.5``, ``0``."""
    if margin == 0:
        return "0"
    text = f"{abs(margin):g}"
    return ("B+" if margin > 0 else "W+") + text
