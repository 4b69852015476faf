"""KataGo's analysis values for one candidate or the root, in KataGo's perspective rules.

Shared by ``kata-analyze`` (GTP, text) and ``zerogo analysis`` (JSON) so the
two print the same numbers for the same search. zerogo's searcher stores, per
move, visits, mean value and mean score lead (side to move); KataGo's other
fields are derived as follows, and nothing is invented:

- ``utility`` is the mean value in [-1, 1] plus the search's score-utility
  bonus for the move (0 unless ``--static-score-utility`` or
  ``--dynamic-score-utility`` is set), ``utilityLcb`` the value LCB plus the
  same bonus;
- ``scoreMean`` and ``scoreSelfplay`` equal ``scoreLead`` (zerogo's nets
  have one score head, as KataGo writes ``scoreMean`` = lead for old tools);
- ``scoreStdev`` is the spread of the mean score over the move's searched
  replies (zerogo's nets have no score-variance head);
- ``weight`` and ``edgeVisits`` equal ``visits`` (every playout weighs 1).

Perspective (KataGo's ``reportAnalysisWinratesAs``): ``SIDETOMOVE``,
``BLACK`` or ``WHITE``; winrate, lcb, utility and scores flip for the other
side, ownership too. ``movesOwnership`` is the network's ownership after
each candidate move (``ownership_after``).
"""

from __future__ import annotations

import numpy as np

from engine.board import BLACK, WHITE, IllegalMoveError
from engine.evaluation import Position
from engine.player import CandidateInfo


def flip_for(perspective: str, to_play: int) -> bool:
    """True when values for ``to_play`` must be flipped to be reported as ``perspective``."""
    if perspective == "BLACK":
        return to_play != BLACK
    if perspective == "WHITE":
        return to_play != WHITE
    return False


def move_values(c: CandidateInfo, flip: bool) -> dict:
    """KataGo's per-move numbers (KataGo's key names) for one candidate, flipped if asked."""
    sign = -1.0 if flip else 1.0
    winrate = 1.0 - c.winrate if flip else c.winrate
    lcb = 1.0 - c.lcb if flip else c.lcb
    lead = sign * c.score_lead
    return {
        "visits": int(c.visits), "edgeVisits": int(c.visits),
        "utility": sign * (2.0 * c.winrate - 1.0 + c.score_utility), "winrate": winrate,
        "scoreMean": lead, "scoreStdev": c.score_stdev, "scoreLead": lead, "scoreSelfplay": lead,
        "prior": c.prior, "lcb": lcb, "utilityLcb": sign * (2.0 * c.lcb - 1.0 + c.score_utility),
        "weight": float(c.visits),
    }


def root_values(root: CandidateInfo, flip: bool) -> dict:
    """KataGo's rootInfo numbers (visits, utility, winrate, scores, weight)."""
    v = move_values(root, flip)
    return {k: v[k] for k in ("visits", "utility", "winrate", "scoreMean", "scoreStdev", "scoreLead",
                              "scoreSelfplay", "weight")}


def round8(x: float) -> float:
    """KataGo's ``roundDynamic(x, 8)``: eight significant digits."""
    return float(f"{x:.8g}")


def ownership_after(game, moves: list[int], color: int, evaluator, history: int = 8) -> list:
    """The network's ownership after ``color`` plays each move, from ``color``'s view (None if illegal).

    One batch for all the moves; a point's value is +1 where ``color`` owns it.
    """
    positions, index = [], []
    for move in moves:
        child = game.copy()
        try:
            child.play(move, color)
        except IllegalMoveError:
            index.append(None)
            continue
        index.append(len(positions))
        positions.append(Position.from_game(child, history))
    evals = evaluator.evaluate(positions) if positions else []
    # the child's evaluation is from the opponent's side (its side to move)
    return [None if i is None or evals[i].ownership is None else -np.asarray(evals[i].ownership)
            for i in index]
