"""A local reading of small enclosed eye spaces: the square four, the bulky five and the other dead shapes.

Clean-up play-outs (``engine.playout``) settle most groups, but a group
whose whole eye space is one small dead shape often survives them: in a
square four, say, the attacker's random throw-in at the wrong point lets the
defender capture it and make two eyes, while with the vital point taken (or
nothing played at all) the group is dead. A random play-out finds the wrong
order often enough to leave the group alive, and without a network to
outvote it the count is off by the group and its surroundings (a 19x19
match game, weights/distil19/match-r2-gnugo10-5s/game0016.sgf, was counted
B+3.5 where both engines and GNU Go count W+32.5).

``dead_eye_shapes`` reads each such chain locally: a chain that is not
pass-alive and whose every liberty lies in small regions it alone encloses
(empty points and the opponent's stones inside, at most ``MAX_POINTS``),
with every opponent chain around it judged alive and safe from a capturing
race (three liberties, or two that only its own colour touches). Can the
opponent, moving first, capture it when play is restricted to the chain and
its eye space (``seki_reading.killed_moving_first``, the same reading as the
seki confirmation: passes allowed, two passes end it, a ko counts only under
territory rules)? Then the chain is dead.

Order: board ← seki_reading ← eye_reading.
"""

from __future__ import annotations

from engine.board import Board
from engine.seki_reading import MAX_NODES, killed_moving_first

MAX_POINTS = 7         # points (empty or the opponent's) of an enclosed eye space worth reading
SURROUND_LIBERTIES = 3  # liberties an opponent chain around the eye space needs, not to be in a race


def enclosed_eye_space(board: Board, stones: list[int], libs: set[int]) -> list[int] | None:
    """The points of the regions holding all of the chain's liberties, when it alone encloses them.

    A region grows from each liberty over empty points and opponent stones;
    it fails (None) on reaching a stone of the chain's colour not in the
    chain, or beyond ``MAX_POINTS`` points in all.
    """
    color = board.stones[stones[0]]
    chain = set(stones)
    space: set[int] = set()
    for start in libs:
        if start in space:
            continue
        todo = [start]
        space.add(start)
        while todo:
            p = todo.pop()
            for n in board.neighbors(p):
                if n in space or n in chain:
                    continue
                if board.stones[n] == color:
                    return None
                space.add(n)
                if len(space) > MAX_POINTS:
                    return None
                todo.append(n)
    return sorted(space)


def _safe(board: Board, point: int) -> bool:
    """Whether the chain at ``point`` cannot be run short: 3 liberties, or 2 that only its colour touches.

    A liberty whose every neighbour is a stone of the chain's colour is one
    the other side can fill only as the capturing move, so two of them make
    the chain as safe as two eyes (the connection points of a wall, say).
    """
    color = board.stones[point]
    libs = board.group_liberties(point)
    if len(libs) >= SURROUND_LIBERTIES:
        return True
    own = sum(1 for q in libs if all(board.stones[n] == color for n in board.neighbors(q)))
    return own >= 2


def _surrounded_by_living(board: Board, stones: list[int], space: set[int], dead: set[int]) -> bool:
    """Whether every opponent chain next to the chain outside its eye space is alive and safe (``_safe``)."""
    color = board.stones[stones[0]]
    for p in stones:
        for n in board.neighbors(p):
            if board.stones[n] != -color or n in space:
                continue
            if n in dead or not _safe(board, n):
                return False
    return True


def dead_eye_shapes(board: Board, candidates: list[tuple[int, list[int], set[int]]], dead: set[int],
                    ko_allowed: bool = True, max_nodes: int = MAX_NODES) -> list[tuple[list[int], list[int]]]:
    """(stones, eye space) of the candidate chains (colour, stones, liberties) that the opponent kills there.

    ``dead`` holds the stones already called dead (an opponent chain among
    them does not count as a living surround).
    """
    killed = []
    for _, stones, libs in candidates:
        space = enclosed_eye_space(board, stones, libs)
        if space is None or not _surrounded_by_living(board, stones, set(space), dead):
            continue
        if killed_moving_first(board, stones, sorted(set(space) | set(stones)), ko_allowed, max_nodes):
            killed.append((stones, space))
    return killed
