"""In-process matches: more search beats less, SPRT stops a one-sided match."""

from __future__ import annotations

import numpy as np

from engine.evaluation import Evaluation, Evaluator, UniformEvaluator
from engine.scoring import tromp_taylor_score
from gtp.match.stats import Sprt
from nets.arena import ArenaConfig, play_match
from nets.selfplay_search import SearchSettings


class ScoreEvaluator(Evaluator):
    """Uniform policy; value = tanh of the Tromp-Taylor score for the side to move."""

    def __init__(self):
        self.inner = UniformEvaluator()

    def evaluate(self, positions):
        out = []
        for p, e in zip(positions, self.inner.evaluate(positions)):
            margin = tromp_taylor_score(p.board, p.rules.komi) * p.board.to_play
            out.append(Evaluation(e.policy, float(np.tanh(margin / 4))))
        return out


def test_more_search_beats_less():
    ev = ScoreEvaluator()
    cfg = ArenaConfig(board_size=5, komi=0.5, games=12, parallel=6, opening_moves=2, seed=5,
                      resign_threshold=0, max_moves=40)
    r = play_match((ev, SearchSettings(visits=48)), (ev, SearchSettings(visits=1)), cfg)
    assert r.games == 12 and len(r.results) == 12
    assert r.wins > r.losses
    assert r.score > 0.6


def test_sprt_stops_a_one_sided_match_early():
    ev = ScoreEvaluator()
    cfg = ArenaConfig(board_size=5, komi=0.5, games=200, parallel=4, opening_moves=2, seed=1,
                      sprt=Sprt(0.0, 200.0), resign_threshold=0.05, max_moves=40)
    r = play_match((ev, SearchSettings(visits=48)), (ev, SearchSettings(visits=1)), cfg)
    assert r.decision == "H1" and r.games < 200
