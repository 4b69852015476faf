"""KataGo's ``kata-raw-nn`` for any network zerogo runs: the raw net output, white's point of view.

``raw_nn(evaluator, position, legal, symmetry)`` evaluates one position under
one of KataGo's 8 board symmetries and returns a ``RawNN`` from white's
perspective (the net's outputs are the side to move's); ``format_raw_nn``
prints it exactly as KataGo 1.17 does (``cpp/command/gtp.cpp``, ``rawNN``):
6-decimal probabilities, 3-decimal scores, the policy grid row by row from
the top with ``NAN`` on illegal points, ``policyPass``, the ownership grid.

KataGo's symmetry ``s`` flips rows (bit 1), columns (bit 2), then transposes
(bit 4); zerogo's ``engine.symmetry`` transposes first, so KataGo's ``s`` is
zerogo's ``kata_to_zerogo_symmetry(s)``.

For zerogo's own networks (no win/loss/no-result head) whiteWin is
``(1 + value) / 2``, noResult 0, the self-play score is the lead, and the
fields they do not have (variance of time left, short-term errors) are -1, as
KataGo prints for networks without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import symmetry as S
from engine.board import WHITE
from engine.evaluation import Position


@dataclass
class RawNN:
    """One raw evaluation from white's point of view (policy: the side to move's)."""

    symmetry: int
    white_win: float
    white_loss: float
    no_result: float
    white_lead: float
    white_score_selfplay: float
    white_score_selfplay_sq: float
    var_time_left: float
    shortterm_winloss_error: float
    shortterm_score_error: float
    policy: np.ndarray            # (area + 1,) probabilities, NaN where illegal, pass last
    white_ownership: np.ndarray   # (height, width)


def kata_to_zerogo_symmetry(s: int) -> int:
    """zerogo's index of KataGo's symmetry ``s`` (they differ when transposing)."""
    if s & 4:
        return 4 | ((s & 1) << 1) | ((s & 2) >> 1)
    return s


def _softmax(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    x = np.where(legal, logits.astype(np.float64), -np.inf)
    e = np.exp(x - x.max())
    out = e / e.sum()
    return np.where(legal, out, np.nan)


def raw_nn(evaluator, position: Position, legal: np.ndarray, symmetry: int = 0) -> RawNN:
    """Evaluate ``position`` under KataGo symmetry ``symmetry`` (0-7) with an ``OnnxEvaluator``.

    ``legal``: bool ``(area + 1,)``, the moves the game allows (superko included).
    """
    board = position.board
    h, w = board.height, board.width
    k = kata_to_zerogo_symmetry(symmetry)
    planes, glob = evaluator.encode_batch([position])
    planes = S.apply_symmetry_planes(planes, k) if k else planes
    out = evaluator.run_all(planes, glob)
    logits, own = out["policy_logits"][0], out["ownership"][0]
    if k:
        logits = S.inverse_symmetry_policy(logits, k, w, h)
        own = S.inverse_symmetry_planes(own, k)
    sign = 1.0 if board.to_play == WHITE else -1.0
    if "wdl" in out:
        win, loss, no_result = (float(x) for x in out["wdl"][0])
        mean = float(out["score_mean"][0])
        stdev = float(out["score_stdev"][0])
        extra = [float(out[key][0]) for key in
                 ("var_time_left", "shortterm_winloss_error", "shortterm_score_error")]
        # KataGo: E[score^2] = (mean^2 + stdev^2) * P(result); mean already carries P(result)
        p_result = max(1.0 - no_result, 1e-30)
        mean_sq = ((mean / p_result) ** 2 + stdev * stdev) * p_result
    else:
        v = float(out["value"][0])
        win, loss, no_result = (1 + v) / 2, (1 - v) / 2, 0.0
        mean = float(out["score_lead"][0])
        mean_sq = mean * mean
        extra = [-1.0, -1.0, -1.0]
    if sign < 0:
        win, loss = loss, win
    lead = sign * float(out["score_lead"][0])
    return RawNN(symmetry, win, loss, no_result, lead, sign * mean, mean_sq, *extra,
                 policy=_softmax(logits, legal), white_ownership=sign * own)


def format_raw_nn_all(raws: list[RawNN], width: int, height: int) -> str:
    """The whole ``kata-raw-nn`` reply for one or more symmetries (blank line between them)."""
    return "\n\n".join(format_raw_nn(r, width, height) for r in raws).strip()


def format_raw_nn(raw: RawNN, width: int, height: int) -> str:
    """KataGo's ``kata-raw-nn`` text for one symmetry (rows keep KataGo's trailing space)."""
    lines = [f"symmetry {raw.symmetry}",
             f"whiteWin {raw.white_win:.6f}",
             f"whiteLoss {raw.white_loss:.6f}",
             f"noResult {raw.no_result:.6f}",
             f"whiteLead {raw.white_lead:.3f}",
             f"whiteScoreSelfplay {raw.white_score_selfplay:.3f}",
             f"whiteScoreSelfplaySq {raw.white_score_selfplay_sq:.3f}",
             f"varTimeLeft {raw.var_time_left:.3f}",
             f"shorttermWinlossError {raw.shortterm_winloss_error:.3f}",
             f"shorttermScoreError {raw.shortterm_score_error:.3f}",
             "policy"]

    def prob(p: float) -> str:
        return "    NAN " if np.isnan(p) else f"{p:8.6f} "

    for r in range(height):
        lines.append("".join(prob(raw.policy[r * width + c]) for c in range(width)))
    lines.append("policyPass " + prob(raw.policy[width * height]))
    lines.append("whiteOwnership")
    for r in range(height):
        lines.append("".join(f"{raw.white_ownership[r, c]:9.7f} " for c in range(width)))
    return "\n".join(lines)
