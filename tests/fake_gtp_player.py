"""Test doubles for the GTP layer: players that stream made-up analysis or misbehave.

Loaded in-process by the tests, or in a ``zerogo gtp`` subprocess through
``--player tests.fake_gtp_player:make_streaming`` (and ``:make_broken``).
"""

from __future__ import annotations

import numpy as np

from engine.player import AnalysisReport, CandidateInfo, Decision, Player


class StreamingPlayer(Player):
    """Reports three made-up candidates (the first legal points) every interval."""

    name = "fake-streaming"

    def __init__(self):
        self.limits = []

    def _candidates(self, game, color, step: int) -> list[CandidateInfo]:
        legal = [int(p) for p in np.flatnonzero(game.legal_mask(color)[:-1])][:3]
        return [CandidateInfo(move=p, visits=10 * step + 3 - i, winrate=0.6 - 0.1 * i,
                              score_lead=2.5 - i, prior=0.5 - 0.1 * i, lcb=0.55 - 0.1 * i,
                              pv=[p] + [q for q in legal if q != p][:1])
                for i, p in enumerate(legal)]

    def analyze(self, game, color, request, report, stop):
        """One report per interval until stopped."""
        step = 1
        while not stop.is_set():
            own = np.full((game.height, game.width), 0.25)
            report(AnalysisReport(self._candidates(game, color, step), own, 10 * step))
            step += 1
            stop.wait(max(request.interval, 0.01))

    def genmove(self, game, color, limits=None, cleanup=False):
        """The first candidate, with the candidates as info."""
        self.limits.append(limits)
        cands = self._candidates(game, color, 5)
        if not cands:
            return Decision(game.board.pass_move)
        return Decision(cands[0].move, info=cands)

    def policy(self, game):
        """Made-up probabilities: 1 on the first legal point."""
        out = np.zeros(game.width * game.height + 1)
        out[int(np.flatnonzero(game.legal_mask()[:-1])[0])] = 1.0
        return out

    def ownership(self, game):
        """Made-up: black owns the top half."""
        own = np.zeros((game.height, game.width))
        own[: game.height // 2] = 1.0
        return own


class BrokenPlayer(Player):
    """Raises on odd calls and answers occupied points on even ones."""

    name = "fake-broken"

    def __init__(self):
        self.calls = 0

    def genmove(self, game, color, limits=None, cleanup=False):
        """Misbehave."""
        self.calls += 1
        if self.calls % 2:
            raise RuntimeError("the move generator exploded")
        stones = [p for p, s in enumerate(game.board.stones) if s != 0]
        return Decision(stones[0] if stones else -5)


def make_streaming(options):
    """Factory for ``--player``."""
    return StreamingPlayer()


def make_broken(options):
    """Factory for ``--player``."""
    return BrokenPlayer()
