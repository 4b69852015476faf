"""KataGo's score utility: a won game is still played for points; values reported stay pure win rates."""

import math

import numpy as np
import pytest

from engine.board import BLACK, WHITE
from engine.evaluation import Evaluation, Evaluator
from engine.mcts_node import ScoreUtility
from engine.search import SearchConfig, Searcher
from gtp.server.commands_kata import CONFIG_PARAMS
from gtp.server.kata_values import move_values
from tests.conftest import at, game_from_diagram

# Black leads whatever it plays (9 stones to 3, komi 0.5); D2 captures three.
WON_ANYWAY = """
   A B C D E
 5 . . . . .  5
 4 . X X X .  4
 3 X O O O X  3
 2 . X X . .  2
 1 . . . . .  1
   A B C D E
"""


class CountsButCannotLose(Evaluator):
    """Score: stones on the board minus komi; value: who leads, saturated (0.99); A1 favoured by the policy."""

    def __init__(self, favourite: int):
        self.favourite = favourite

    def evaluate(self, positions):
        out = []
        for pos in positions:
            b = pos.board
            black_lead = b.stones.count(BLACK) - b.stones.count(WHITE) - pos.rules.komi
            score = black_lead * b.to_play
            policy = b.legal_mask().astype(float)
            if policy[self.favourite]:
                policy[self.favourite] = policy.sum() / 3      # a quarter of the prior
            out.append(Evaluation(policy / policy.sum(), 0.99 * math.copysign(1.0, score), score, None))
        return out


def _search(static: float, dynamic: float):
    game = game_from_diagram(WON_ANYWAY, komi=0.5, to_play=BLACK)
    cfg = SearchConfig(visits=400, early_stop=False, reuse_tree=False, resign_threshold=0, seed=1,
                       static_score_utility=static, dynamic_score_utility=dynamic)
    return game, Searcher(CountsButCannotLose(at(game, "A1")), cfg).search(game)


def test_without_score_utility_a_won_game_follows_the_prior():
    game, result = _search(0.0, 0.0)
    assert result.move == at(game, "A1")
    assert all(c.score_utility == 0.0 for c in result.candidates)


def _visits(result, move: int) -> int:
    return next((c.visits for c in result.candidates if c.move == move), 0)


def test_static_score_utility_alone_leans_toward_the_points():
    game, plain = _search(0.0, 0.0)
    _, leaning = _search(0.1, 0.0)
    assert _visits(leaning, at(game, "D2")) > _visits(plain, at(game, "D2")) + 5


@pytest.mark.parametrize("static, dynamic", [(0.0, 0.3), (0.1, 0.3)])
def test_score_utility_takes_the_points_in_a_won_game(static, dynamic):
    game, result = _search(static, dynamic)
    assert result.move == at(game, "D2")
    best = result.candidates[0]
    assert best.move == at(game, "D2") and best.score_lead > 7
    # reported win rates and bounds stay win rates: the bonus only orders the moves
    assert all(0.0 <= c.winrate <= 1.0 and 0.0 <= c.lcb <= 1.0 for c in result.candidates)
    assert best.winrate == pytest.approx(0.995, abs=0.01)
    # kata-analyze's utility is KataGo's: the value plus the score bonus
    assert best.score_utility > 0.05
    assert move_values(best, False)["utility"] == pytest.approx(2 * best.winrate - 1 + best.score_utility)
    assert move_values(best, True)["utility"] == pytest.approx(-(2 * best.winrate - 1 + best.score_utility))


def test_the_bonus_is_the_same_for_both_players_with_the_sign_turned():
    u = ScoreUtility(0.1, 0.3, 38.0, 14.25, centre_black=6.0)
    for score in (-30.0, -2.5, 0.0, 6.0, 12.0):
        assert u.value(score, BLACK) == pytest.approx(-u.value(-score, WHITE))
    assert u.value(6.0, BLACK) == pytest.approx(0.1 * 2 / math.pi * math.atan(6 / 38))   # dynamic centred
    assert abs(u.value(1e9, BLACK)) < 0.4 + 1e-9     # bounded by static + dynamic
    scores = np.array([-30.0, 0.0, 12.0])
    assert u.values(scores, WHITE) == pytest.approx([u.value(s, WHITE) for s in scores])


def test_the_dynamic_centre_follows_the_root_a_fifth_toward_zero():
    cfg = SearchConfig(static_score_utility=0.1, dynamic_score_utility=0.3)
    u = cfg.score_utility(361, 10.0)
    assert (u.static_scale, u.dynamic_scale, u.centre_black) == pytest.approx((38.0, 14.25, 8.0))
    assert SearchConfig(static_score_utility=0, dynamic_score_utility=0).score_utility(361, 10.0) is None
    with pytest.raises(ValueError):
        SearchConfig(dynamic_score_scale=0)


def test_kata_params_name_the_search_fields():
    assert CONFIG_PARAMS["staticScoreUtilityFactor"] == "static_score_utility"
    assert CONFIG_PARAMS["dynamicScoreUtilityFactor"] == "dynamic_score_utility"
    assert all(hasattr(SearchConfig(), field) for field in CONFIG_PARAMS.values())
