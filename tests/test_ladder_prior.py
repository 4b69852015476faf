"""Ladder-aware root priors: a move that only runs a chain caught in a ladder is played down."""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.evaluation import Evaluation, Evaluator
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.ladder_prior import futile_escapes
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher
from engine.sgf import load_sgf_file
from tests.gtp_session import REPO

# The 19x19 student ran this ladder for ten moves against GNU Go (moves 44-64) and lost the game.
LADDER_GAME = f"{REPO}/weights/distil19/match-b6c64-gnugo10-5s/game0009.sgf"


def _before_the_run():
    game = load_sgf_file(LADDER_GAME)
    while len(game.moves) > 43:      # white to move, its two stones at E7-E8 in atari, liberty F8
        game.undo()
    return game


def _pt(vertex: str) -> int:
    return coords.from_gtp(vertex, 19, 19)


def test_the_escapes_of_laddered_chains_are_found_and_a_breaker_frees_them():
    board = _before_the_run().board
    assert futile_escapes(board) == sorted([_pt("F8"), _pt("O17")])   # O17: a stone cut off earlier
    broken = board.copy()
    broken.place_stone(_pt("G9"), board.to_play)                     # a ladder breaker on the path
    assert futile_escapes(broken) == [_pt("O17")]


class _Keen(Evaluator):
    """Half the policy on one move, the rest spread over the legal moves; value 0."""

    def __init__(self, favourite: int):
        self.favourite = favourite

    def evaluate(self, positions):
        out = []
        for pos in positions:
            mask = pos.board.legal_mask().astype(np.float64)
            p = 0.5 * mask / mask.sum()
            if mask[self.favourite]:
                p[self.favourite] += 0.5
            out.append(Evaluation(p / p.sum(), 0.0, 0.0, None))
        return out


def _root_prior(searcher: Searcher, move: int) -> tuple[float, float]:
    root = searcher.tree.root
    i = int(np.flatnonzero(root.moves == move)[0])
    return float(root.prior[i]), float(root.raw_prior[i])


def test_the_search_plays_the_escape_down_at_the_root_and_noise_builds_on_that():
    game, escape = _before_the_run(), _pt("F8")
    on = Searcher(_Keen(escape), SearchConfig(seed=1, ladder_factor=0.02))
    on.search(game, MoveLimits(visits=32))
    prior, raw = _root_prior(on, escape)
    assert raw > 0.5                                        # the net's own view is kept for reports
    other = _root_prior(on, _pt("O17"))[1]                  # the other futile escape, played down too
    assert prior == pytest.approx(raw * 0.02 / (1.0 - (raw + other) * 0.98))   # times 0.02, renormalised
    off = Searcher(_Keen(escape), SearchConfig(seed=1, ladder_factor=1.0))
    off.search(game, MoveLimits(visits=32))
    assert _root_prior(off, escape)[0] == raw
    noisy = Searcher(_Keen(escape), SearchConfig(seed=1, dirichlet_eps=0.25))
    noisy.search(game, MoveLimits(visits=32))
    assert _root_prior(noisy, escape)[0] < 0.3 * raw        # noise mixed into the played-down prior


def test_one_level_down_the_replies_to_a_ladder_atari_play_the_run_down():
    """Below the root, an atari that starts a working ladder is judged by the defender's other replies."""
    from engine.mcts import Tree
    from engine.mcts_node import PuctConfig
    game = load_sgf_file(LADDER_GAME)
    atari = game.moves[42][1]                # black's atari that started the ladder
    while len(game.moves) > 42:
        game.undo()
    evaluator = _Keen(_pt("F8"))
    priors = {}
    for factor in (0.02, 1.0):
        tree = Tree(game, 8, ladder_factor=factor)
        tree.run_batch(evaluator, PuctConfig(), 1)                 # the root
        leaf, _ = tree.descend(PuctConfig(), root_choice=tree.root.child_index(atari))
        leaf.pending = True
        tree.finish([leaf], evaluator.evaluate([leaf.position]))
        j = leaf.child_index(_pt("F8"))
        priors[factor] = (float(leaf.prior[j]), float(leaf.raw_prior[j]))
        assert leaf.parent is tree.root and leaf.board.to_play == game.board.to_play * -1
    assert priors[1.0][0] == priors[1.0][1] > 0.5          # off: the net's prior
    assert priors[0.02][1] == priors[1.0][1] and priors[0.02][0] < 0.05   # on: played down, raw kept


def test_the_shipped_student_no_longer_runs_that_ladder():
    game = _before_the_run()
    evaluator = load_evaluator(None, EvaluatorConfig(threads=1), 19, 19)
    result = Searcher(evaluator, SearchConfig(seed=0)).search(game, MoveLimits(visits=200))
    assert result.move != _pt("F8") and game.board.is_legal(result.move)
