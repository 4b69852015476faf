"""Root priors that know ladders: a move that only runs a chain caught in a ladder is played down.

zerogo's own nets have no ladder inputs (KataGo's have them), and a ladder
is twenty or more plies deep, far beyond what a search of a few thousand
visits sees. So the 19x19 b6c64 student ran a broken ladder for ten moves in
a game against GNU Go (``weights/distil19/match-b6c64-gnugo10-5s/game0009.sgf``,
moves 44-64) and resigned soon after. KataGo's ladder reader
(``engine.katago.ladders``) says which chains in atari cannot escape with the
defender to move; for the side to move, extending such a chain on its last
liberty only feeds the ladder, so the search's prior of that move is
multiplied by ``factor`` (and the priors renormalised) at the root
(``engine.mcts.Tree.reset_root_prior``) and one level below it
(``Tree.finish``: the opponent's replies, so an atari that starts a working ladder is judged by the
defender's other answers). Deeper nodes keep the net's priors: the reader
costs too much for every node. The move stays a candidate: a search that
finds it good for another reason may still play it.
Other defences (capturing an attacker in atari) are left alone: the reader
has already found that they fail too, but they take stones.
"""

from __future__ import annotations

import numpy as np

from engine.board import Board
from engine.katago.ladders import LadderCache

_LADDERS = LadderCache(1024)


def futile_escapes(board: Board) -> list[int]:
    """The liberties of the side to move's chains in atari that the ladder reader says are caught."""
    me = board.to_play
    in_atari = [g for g in board._groups.values() if g.color == me and len(g.libs) == 1]  # noqa: SLF001
    if not in_atari:
        return []
    laddered = set(_LADDERS.get(board).laddered)
    moves = {next(iter(g.libs)) for g in in_atari if g.stones[0] in laddered}
    return sorted(moves)


def ladder_aware_prior(board: Board, moves: np.ndarray, prior: np.ndarray, factor: float) -> np.ndarray | None:
    """``prior`` over ``moves`` with futile ladder escapes multiplied by ``factor``; None if none is there."""
    futile = futile_escapes(board)
    if not futile or factor >= 1.0:
        return None
    hit = np.isin(moves, futile)
    if not hit.any():
        return None
    out = np.array(prior, dtype=np.float64)
    out[hit] *= factor
    total = out.sum()
    return out / total if total > 0 else None
