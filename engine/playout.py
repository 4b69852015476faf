"""Play-out policies: the plain random one, and the clean-up one that finishes a position for counting.

``random_move`` / ``playout``: the one random-playout move policy, a random
legal move that never fills the mover's own true eye (used by the
network-free player, the board benchmark, the GNU Go data games and the
tests).

``choose_move`` / ``play_out``: clean-up play-outs in the style of the
classic Monte Carlo engines (Mogo, Fuego, Pachi), tuned for settling the
status of groups at the end of a game: each side in turn captures an
opponent chain in atari or saves its own chain in atari (when the escape
gets at least two liberties), whichever has the most at stake (the chain and
the enemy chains short of liberties next to it, the other side of a
capturing race; a capture first on equal stakes), else plays a random legal
point that is neither one of its own true eyes nor a self-atari of a chain of
two or more stones (small nakade excepted). The self-atari rule keeps seki
alive (filling a shared liberty would put one's own chain in atari, so
neither side does); single-stone throw-ins stay allowed, so dead shapes with
a small eye space still die. Both sides pass only when nothing is left, so
every dead stone is captured and every dame filled, and the final board is
what Tromp-Taylor counts (``engine.deadstones`` reads it, and ``engine.seki``
finds the seki on it).

Order: board ← playout.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from engine.board import EMPTY, Board


def random_move(board, color: int, rng: random.Random, legal: Callable[[int], bool] | None = None) -> int:
    """A uniformly random empty point that is legal and not ``color``'s own true eye; pass when none.

    ``legal(point)`` defaults to the board's own rule check; a caller with a
    game (superko) passes its legal mask's lookup instead.
    """
    empties = [p for p in range(board.area) if board.stones[p] == EMPTY]
    rng.shuffle(empties)
    for p in empties:
        if not board.is_eye(p, color) and (board.illegal_reason(p, color) is None if legal is None else legal(p)):
            return p
    return board.pass_move


def playout(board: Board, rng: random.Random, max_moves: int) -> Board:
    """A copy of ``board`` played on with ``random_move`` until two passes (or ``max_moves``)."""
    b = board.copy()
    b.passes = 0
    for _ in range(max_moves):
        if b.passes >= 2:
            break
        color = b.to_play
        b.play(random_move(b, color, rng), color)
    return b


def liberties_after(board: Board, move: int, color: int) -> tuple[int, bool, bool]:
    """(liberties of the chain holding ``move`` after ``color`` plays it, captures, joins a chain).

    Captured stones count as one liberty each point next to the move (a lower
    bound, enough to tell a self-atari).
    """
    stones = board.stones
    libs: set[int] = set()
    captures = joins = False
    for n in board.neighbors(move):
        s = stones[n]
        if s == EMPTY:
            libs.add(n)
        elif s == color:
            joins = True
            libs |= board.group_liberties(n)
        elif board.liberty_count(n) == 1:
            captures = True
            libs.add(n)
    libs.discard(move)
    return len(libs), captures, joins


def _stakes(board: Board, stones: list[int]) -> int:
    """What hangs on a chain in atari: its stones plus the adjacent enemy stones short of liberties (<= 2).

    Those enemy chains are in a capturing race with it: take the chain and
    they breathe again, save it and they stay short.
    """
    color = board.stones[stones[0]]
    seen: set[int] = set()
    total = len(stones)
    for p in stones:
        for n in board.neighbors(p):
            if board.stones[n] == -color and n not in seen:
                chain = board.group_stones(n)
                seen.update(chain)
                if board.liberty_count(n) <= 2:
                    total += len(chain)
    return total


def _urgent_move(board: Board, color: int, rng: random.Random) -> int | None:
    """The capture or escape with the most at stake (``_stakes``); a capture first on equal stakes.

    A capture takes an opponent chain in atari; an escape extends one of
    ``color``'s chains in atari when that gets it two or more liberties. An
    escape to only two liberties (which the opponent can atari again) ranks
    below every capture, as it did before stakes were weighed.
    """
    best, best_key = None, None
    chains = board.atari_chains()
    order = list(range(len(chains)))
    rng.shuffle(order)
    for i in order:
        chain_color, stones, libs = chains[i]
        (lib,) = libs
        if not board.is_legal(lib, color):
            continue
        if chain_color == -color:
            key = (1, _stakes(board, stones), 1)
        else:
            after = liberties_after(board, lib, color)[0]
            if after < 2:
                continue
            key = (1, _stakes(board, stones), 0) if after >= 3 else (0, len(stones), 0)
        if best_key is None or key > best_key:
            best, best_key = lib, key
    return best


def acceptable(board: Board, move: int, color: int) -> bool:
    """A random play-out move: legal, not our true eye, not a self-atari unless it is a nakade."""
    if board.stones[move] != EMPTY or board.is_eye(move, color) or not board.is_legal(move, color):
        return False
    libs, captures, joins = liberties_after(board, move, color)
    return captures or libs >= 2 or not joins or _nakade(board, move, color)


def _nakade(board: Board, move: int, color: int) -> bool:
    """A self-atari of a small chain that kills: a nakade, or a sacrifice in a capturing race.

    Allowed for a chain of at most ``NAKADE_STONES`` stones when no opponent
    chain next to the move is short of liberties (a nakade inside a big eye
    space), and for one of at most ``SACRIFICE_STONES`` when it leaves an
    opponent chain in atari (the opponent must capture and gets a two-point
    eye, a dead shape: the eyeless group next to a small enemy group that
    sacrifices and kills). A seki's shared liberty joins a bigger chain or
    leaves the opponent two liberties, so seki stays unfilled.
    """
    stones = board.stones
    size = 1
    seen: set[int] = set()
    short = atari = False
    for n in board.neighbors(move):
        s = stones[n]
        if s == color and n not in seen:
            chain = board.group_stones(n)
            seen.update(chain)
            size += len(chain)
        elif s == -color:
            libs = board.liberty_count(n)
            short |= libs <= 2
            atari |= libs == 2
    return size <= NAKADE_STONES and not short or size <= SACRIFICE_STONES and atari


NAKADE_STONES = 3      # a chain this small may self-atari inside a big eye space (nakade)
SACRIFICE_STONES = 2   # ... this small when it puts the opponent in atari (a two-point eye is dead)


def choose_move(board: Board, color: int, rng: random.Random, empties: list[int]) -> int:
    """The play-out policy's move for ``color`` (pass when nothing is acceptable)."""
    move = _urgent_move(board, color, rng)
    if move is not None:
        return move
    n = len(empties)
    for i in range(n):           # lazy Fisher-Yates: random order, stop at the first good one
        j = rng.randrange(i, n)
        empties[i], empties[j] = empties[j], empties[i]
        p = empties[i]
        if acceptable(board, p, color):
            return p
    return board.pass_move


def play_out(board: Board, rng: random.Random, max_moves: int | None = None) -> Board:
    """A copy of ``board`` played to two passes (or ``max_moves``) by ``choose_move``."""
    b = board.copy()
    b.passes = 0
    limit = 3 * b.area if max_moves is None else max_moves
    stones = b.stones
    for _ in range(limit):
        if b.passes >= 2:
            break
        empties = [p for p in range(b.area) if stones[p] == EMPTY]
        b.play(choose_move(b, b.to_play, rng, empties))
    return b

