"""Scoring: Tromp-Taylor area, area and territory with dead stones, seki."""

from __future__ import annotations

import pytest

from engine import coords, scoring
from engine.board import BLACK, WHITE, Board
from engine.deadstones import DeadStoneConfig, find_status
from engine.game import Game
from tests.conftest import game_from_diagram
from tests.diagrams import SEKI_WITH_EYES


def points(game: Game, *vertices: str) -> set[int]:
    """Flat indices of GTP vertices."""
    return {coords.from_gtp(v, game.width, game.height) for v in vertices}


# A seki in the middle: the inner white chain (C6-E8, eye D7) and the inner
# black chain (C2-E5, eye D3) share the liberty D5; neither may approach.
# The outer black group (eyes A9, G9) and outer white group (A1, G1) live.
SEKI = SEKI_WITH_EYES
INNER_WHITE = ("C8", "D8", "E8", "C7", "E7", "C6", "D6", "E6")
INNER_BLACK = ("C5", "E5", "C4", "D4", "E4", "C3", "E3", "C2", "D2", "E2")


def test_seki_position_really_is_seki():
    """Approaching the shared liberty is self-atari; the eyes cannot be filled."""
    game = game_from_diagram(SEKI)
    shared = min(points(game, "D5"))
    assert game.is_legal(shared, BLACK)
    trial = game.copy()
    trial.play(shared, BLACK)
    assert trial.board.liberty_count(shared) == 1
    assert trial.play(min(points(game, "D3")), WHITE) == 11  # black's chain dies
    assert not game.is_legal(min(points(game, "D7")), BLACK)  # white's eye: suicide


def test_seki_under_area_scoring_counts_eyes_not_shared_liberties():
    """Chinese counting: stones plus eyes; the shared liberty is no one's."""
    game = game_from_diagram(SEKI, rules="chinese", komi=0.5)
    counts = scoring.area_counts(game.board)
    assert counts == {BLACK: 27 + 3, WHITE: 29 + 3}
    assert game.score() == 30 - 32 - 0.5
    assert game.result_string() == "W+2.5"


def test_seki_under_territory_scoring_counts_no_seki_points():
    """Japanese counting: the eyes of the chains in seki are no one's territory."""
    game = game_from_diagram(SEKI, rules="japanese", komi=0.5)
    cfg = DeadStoneConfig(playouts=64, min_playouts=64, status_net="none", unsettled_playouts=0)
    status = find_status(game.board, cfg=cfg, game=game)
    seki = status.seki
    assert status.dead == set() and seki == points(game, *INNER_WHITE, *INNER_BLACK)
    assert scoring.territory_counts(game.board, seki=seki) == {BLACK: 2, WHITE: 2}
    assert scoring.territory_counts(game.board) == {BLACK: 3, WHITE: 3}  # eyes if not told
    assert game.score(seki=seki) == -0.5


DEAD = """
   A B C D E
 5 . X O . .  5
 4 . X O . .  4
 3 X X O O O  3
 2 . X O X .  2
 1 . X O . .  1
   A B C D E
"""


def test_dead_stones_count_under_area_and_territory():
    """A dead black stone in white's area: gone under area, a prisoner under territory."""
    area = game_from_diagram(DEAD, rules="chinese", komi=0)
    dead = points(area, "D2")
    # Black: 6 stones + A5 A4 A2 A1; white: 7 stones + D5 E5 D4 E4 + D2 E2 D1 E1.
    assert scoring.area_counts(area.board, dead) == {BLACK: 10, WHITE: 15}
    assert area.score(dead) == -5
    territory = game_from_diagram(DEAD, rules="japanese", komi=0)
    assert scoring.territory_counts(territory.board, dead) == {BLACK: 4, WHITE: 8 + 1}
    assert territory.score(dead) == -5


def test_tromp_taylor_counts_the_board_as_it_stands():
    """Tromp-Taylor: a region touching both colours is no one's, 'dead' stones count."""
    game = game_from_diagram(DEAD, komi=7.5)
    # E2 D1 E1 touch the black D2 and white stones: no one's.
    assert scoring.area_counts(game.board) == {BLACK: 7 + 4, WHITE: 7 + 4}
    assert scoring.tromp_taylor_score(game.board, 7.5) == -7.5


def test_captures_count_as_prisoners_under_territory():
    """Stones captured during play are added to the capturer's territory score."""
    game = Game(5, rules="japanese", komi=0)
    for vertex in ("B4", "A4", "A3", "E1", "A5"):
        game.play_gtp("b" if len(game.moves) % 2 == 0 else "w", vertex)
    assert game.board.captures == {BLACK: 1, WHITE: 0}
    # A4 is black territory (1) and the captured white stone a prisoner (1).
    assert scoring.territory_counts(game.board) == {BLACK: 2, WHITE: 0}
    assert game.score() == 2


@pytest.mark.parametrize("rules,bonus", [("chinese", 4), ("aga", 3), ("japanese", 0),
                                        ("korean", 0), ("tromp-taylor", 0), ("new-zealand", 0)])
def test_handicap_compensation_by_rule_set(rules, bonus):
    """White gets N, N-1 or no extra points for N handicap stones, as each rule set says."""
    game = Game(9, rules=rules, komi=0.5)
    game.fixed_handicap(4)
    assert game.handicap == 4 and game.to_play == WHITE
    plain = Game(9, rules=rules, komi=0.5)
    plain.setup(list(game.setup_stones), to_play=WHITE)  # same stones, not a handicap
    assert plain.score() - game.score() == bonus


@pytest.mark.parametrize("margin,text", [(3.5, "B+3.5"), (-0.5, "W+0.5"), (0, "0"), (12.0, "B+12")])
def test_result_string(margin, text):
    """Margins are written the way GTP final_score writes them."""
    assert scoring.result_string(margin) == text


def test_area_ownership_marks_stones_regions_and_dead_stones():
    from engine.scoring import area_ownership
    board = Board.from_ascii("""
        . X O .
        X X O .
        . X O O
        X O . O
    """)
    own = area_ownership(board)
    assert own.tolist() == [[1, 1, -1, -1], [1, 1, -1, -1], [1, 1, -1, -1], [1, -1, -1, -1]]
    # The white stone on B1 taken as dead: the empty region it leaves (B1, C1)
    # touches both colours, so it is no one's.
    dead_own = area_ownership(board, dead={13})
    assert dead_own[3, 1] == 0 and dead_own[3, 0] == 1
