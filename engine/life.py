"""Unconditional life (Benson's algorithm) and KataGo's area map built on it.

A chain is *pass-alive* when the opponent cannot capture it even if its owner
passes every turn; a *pass-alive region* is an area the opponent can never
live in (its empty points and any opponent stones inside, which are dead).
This module follows KataGo's ``Board::calculateAreaForPla`` and
``Board::calculateArea`` (lightvector/KataGo ``cpp/game/board.cpp``) exactly,
so that the area feature of KataGo's networks and scoring built on it agree
with KataGo:

* For a colour ``c`` the board splits into *regions*: maximal connected sets
  of points that are empty or hold an opponent stone, each containing at
  least one empty point.
* A region is *vital* to a ``c`` chain when every empty point of the region
  (every point, when multi-stone suicide is legal) touches that chain.
* Benson's iteration: a chain with fewer than two vital regions that border
  only still-living chains dies; regions next to a dead chain stop counting;
  repeat until nothing changes. What is left is pass-alive.
* A region is ``c``'s pass-alive territory when every ``c`` chain next to it
  is pass-alive and at most one of its points touches no ``c`` stone.

``area_map`` adds KataGo's optional extras: *safe big territories* (empty
regions bordered only by pass-alive ``c`` chains), *unsafe big territories*
(empty regions bordered only by ``c``, marked only where nothing else was)
and *non-pass-alive stones* (every other stone counted for its own colour).

Everything here works on flat point indices (see ``engine.coords``) and reads
the board's chains; nothing changes the board.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.board import BLACK, EMPTY, WHITE, Board


@dataclass(frozen=True)
class PassAlive:
    """Benson's result for one colour: its pass-alive stones and pass-alive territory."""

    color: int
    stones: frozenset[int]     # stones of the colour's pass-alive chains
    territory: frozenset[int]  # points (empty or dead opponent stones) no opponent can ever own


class _Regions:
    """The empty-or-opponent regions of one colour, with what Benson's iteration needs."""

    __slots__ = ("contains_opp", "internal", "points", "region_of", "vital")

    def __init__(self, board: Board, pla: int, suicide: bool):
        stones, gid, nbrs = board.stones, board._gid, board._nbrs
        opp = -pla
        region_of = [-1] * board.area
        self.points: list[list[int]] = []
        self.contains_opp: list[bool] = []
        self.internal: list[int] = []  # points touching no pla stone, capped at 2
        self.vital: list[set[int]] = []
        for start in range(board.area):
            if stones[start] != EMPTY or region_of[start] >= 0:
                continue
            idx = len(self.points)
            region_of[start] = idx
            pts = [start]
            vital = {gid[n] for n in nbrs[start] if stones[n] == pla}
            internal = 0
            has_opp = False
            i = 0
            while i < len(pts):
                q = pts[i]
                i += 1
                sq = stones[q]
                touching: set[int] | None = None
                for n in nbrs[q]:
                    sn = stones[n]
                    if sn == pla:
                        if touching is None:
                            touching = {gid[n]}
                        else:
                            touching.add(gid[n])
                    elif region_of[n] < 0:
                        region_of[n] = idx
                        pts.append(n)
                if sq == opp:
                    has_opp = True
                if touching is None:
                    internal += 1
                if vital and (suicide or sq == EMPTY):
                    vital = vital & touching if touching else set()
            self.points.append(pts)
            self.contains_opp.append(has_opp)
            self.internal.append(min(internal, 2))
            self.vital.append(vital)
        self.region_of = region_of


def _benson(board: Board, pla: int, suicide: bool) -> tuple[list[int], _Regions, list[bool]]:
    """Pass-alive chain ids of ``pla``, its regions, and which regions border a dead chain."""
    groups, nbrs, stones = board._groups, board._nbrs, board.stones
    regions = _Regions(board, pla, suicide)
    region_of = regions.region_of
    chains = [g for g, grp in groups.items() if grp.color == pla]
    borders_dead = [False] * len(regions.points)
    alive = set(chains)
    while True:
        count = dict.fromkeys(alive, 0)
        for r, vital in enumerate(regions.vital):
            if vital and not borders_dead[r]:
                for g in vital:
                    if g in count:
                        count[g] += 1
        dying = [g for g, c in count.items() if c < 2]
        if not dying:
            break
        for g in dying:
            alive.discard(g)
            for s in groups[g].stones:
                for n in nbrs[s]:
                    if stones[n] != pla:
                        borders_dead[region_of[n]] = True
    return [g for g in chains if g in alive], regions, borders_dead


def _mark_for(board: Board, pla: int, safe_big: bool, unsafe_big: bool, suicide: bool,
              result: list[int]) -> None:
    """KataGo's calculateAreaForPla: write ``pla`` into ``result`` where it owns the point."""
    groups = board._groups
    alive, regions, borders_dead = _benson(board, pla, suicide)
    for g in alive:
        for s in groups[g].stones:
            result[s] = pla
    if not any(grp.color == pla for grp in groups.values()):
        return  # KataGo's atLeastOnePla: no stones, no territory
    for r, pts in enumerate(regions.points):
        safe = not borders_dead[r]
        if safe and (regions.internal[r] <= 1 or (safe_big and not regions.contains_opp[r])):
            for p in pts:
                result[p] = pla
        elif unsafe_big and not regions.contains_opp[r]:
            for p in pts:
                if result[p] == EMPTY:
                    result[p] = pla


def area_map(board: Board, non_pass_alive_stones: bool = False, safe_big_territories: bool = False,
             unsafe_big_territories: bool = False, suicide_allowed: bool | None = None) -> list[int]:
    """KataGo's ``calculateArea``: for every flat point, ``BLACK``, ``WHITE`` or ``EMPTY``.

    With every flag off the map holds exactly the pass-alive stones and
    pass-alive territory of both colours. ``safe_big_territories`` adds empty
    regions bordered only by one colour's pass-alive chains;
    ``unsafe_big_territories`` adds empty regions bordered only by one colour
    (where still unmarked); ``non_pass_alive_stones`` gives every remaining
    stone its own colour. ``suicide_allowed`` (default: the board's setting)
    is the rule for multi-stone suicide, which changes what counts as vital.
    Black is marked first, then white, as KataGo does.
    """
    suicide = board.suicide_allowed if suicide_allowed is None else suicide_allowed
    result = [EMPTY] * board.area
    _mark_for(board, BLACK, safe_big_territories, unsafe_big_territories, suicide, result)
    _mark_for(board, WHITE, safe_big_territories, unsafe_big_territories, suicide, result)
    if non_pass_alive_stones:
        stones = board.stones
        for p in range(board.area):
            if result[p] == EMPTY:
                result[p] = stones[p]
    return result


def pass_alive(board: Board, color: int, suicide_allowed: bool | None = None) -> PassAlive:
    """Benson's unconditional life for ``color``: its pass-alive stones and territory."""
    if color not in (BLACK, WHITE):
        raise ValueError(f"invalid color {color!r}")
    suicide = board.suicide_allowed if suicide_allowed is None else suicide_allowed
    result = [EMPTY] * board.area
    _mark_for(board, color, False, False, suicide, result)
    stones = board.stones
    owned = [p for p, c in enumerate(result) if c == color]
    return PassAlive(color,
                     frozenset(p for p in owned if stones[p] == color),
                     frozenset(p for p in owned if stones[p] != color))


def pass_alive_areas(board: Board, suicide_allowed: bool | None = None) -> np.ndarray:
    """int8 ``(height, width)``: +1 black's pass-alive stones and territory, -1 white's, 0 neither."""
    return np.array(area_map(board, suicide_allowed=suicide_allowed),
                    dtype=np.int8).reshape(board.height, board.width)
