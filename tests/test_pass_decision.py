"""The searcher's pass decision and clean-up moves follow the one group status (engine.deadstones)."""

from __future__ import annotations

import numpy as np

from engine.board import BLACK, WHITE
from engine.deadstones import DeadStoneConfig
from engine.evaluation import Evaluation, Evaluator, UniformEvaluator
from engine.mcts_player import MctsPlayer
from engine.player import MoveLimits
from engine.search import SearchConfig
from tests.test_group_status import DEAD_SHAPES, chain, game_from

FAST = DeadStoneConfig(playouts=48, min_playouts=48, max_seconds=30.0, status_net="none")


class PassLover(Evaluator):
    """Puts almost all the policy on pass, with a neutral value: a searcher that wants to pass."""

    def evaluate(self, positions):
        out = []
        for pos in positions:
            mask = pos.board.legal_mask().astype(float)
            policy = mask * 0.03 / max(mask[:-1].sum(), 1.0)
            policy[-1] = 0.97
            out.append(Evaluation(policy / policy.sum(), 0.0, 0.0, None))
        return out


def player(evaluator=None, cfg: DeadStoneConfig = FAST) -> MctsPlayer:
    return MctsPlayer(evaluator or PassLover(), SearchConfig(visits=16, batch_size=4, seed=0, resign_threshold=0.0),
                      status_config=cfg)


def dead_liberties(game, color: int) -> set[int]:
    """Liberties of the dead chains of ``color`` in DEAD_SHAPES."""
    return set().union(*(game.board.group_liberties(min(chain(game, v))) for v in ("G9", "C6")))


def test_no_pass_under_area_scoring_while_dead_opponent_stones_stand():
    game = game_from(DEAD_SHAPES, "chinese")
    move = player().genmove(game, BLACK, MoveLimits(visits=16)).move
    assert move in dead_liberties(game, WHITE)


def test_under_territory_scoring_dead_stones_need_no_capture_but_clean_up_takes_them():
    game = game_from(DEAD_SHAPES, "japanese")
    p = player()
    assert p.genmove(game, BLACK, MoveLimits(visits=16)).move == game.board.pass_move
    assert p.genmove(game, BLACK, MoveLimits(visits=16), cleanup=True).move in dead_liberties(game, WHITE)


def test_never_pass_into_a_lost_count():
    game = game_from(DEAD_SHAPES, "japanese", komi=100.5)
    game.play(game.board.pass_move, WHITE)
    game.board.to_play = BLACK
    move = player().genmove(game, BLACK, MoveLimits(visits=16)).move
    assert move != game.board.pass_move and game.is_legal(move, BLACK)
    winning = game_from(DEAD_SHAPES, "japanese", komi=0.5)
    winning.play(winning.board.pass_move, WHITE)
    assert player().genmove(winning, BLACK, MoveLimits(visits=16)).move == winning.board.pass_move


def test_a_searched_play_out_joins_the_evidence():
    cfg = DeadStoneConfig(playouts=32, min_playouts=32, max_seconds=30.0, search_playouts=1, unsettled_playouts=0,
                          status_net="none", search_visits=4, search_seconds=60.0, search_weight=4.0)
    game = game_from(DEAD_SHAPES, "chinese")
    status = player(UniformEvaluator(), cfg).status(game)
    assert status.playouts == 33
    assert status.dead == chain(game, "G9") | chain(game, "C6")
    assert np.all(np.abs(status.ownership) <= 1.0)


def test_final_status_without_a_network_uses_the_same_answer():
    from engine.player import SimplePlayer
    game = game_from(DEAD_SHAPES, "chinese")
    dead, seki = SimplePlayer(seed=1).final_status(game)
    assert dead == chain(game, "G9") | chain(game, "C6") and seki == set()
