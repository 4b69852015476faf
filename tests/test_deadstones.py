"""Dead stones and seki from ownership, and scoring with them."""

import numpy as np
import pytest

from engine import coords
from engine.deadstones import (OwnershipShapeError, classify, dead_stones, final_score, seki_stones,
                               status_list)
from tests.conftest import game_from_diagram


ENDGAME = """
    . . . X O . .
    . O . X O . .
    . . . X O . .
    X X X X O . .
    O O O O O . X
    . . . . . . .
    . . . . . . .
"""


def endgame_ownership():
    own = -np.ones((7, 7))
    own[:4, :4] = 1.0    # black's corner, the white stone at B6 inside it is dead
    own[4:, 6] = -0.9    # the black stone at G3 is dead in white's area
    return own


def test_dead_stones_are_the_chains_the_opponent_owns():
    g = game_from_diagram(ENDGAME, 7)
    dead = dead_stones(g.board, endgame_ownership())
    assert dead == {coords.from_gtp("B6", 7, 7), coords.from_gtp("G3", 7, 7)}
    assert dead_stones(g.board, None) == set()
    with pytest.raises(OwnershipShapeError):
        dead_stones(g.board, np.zeros((5, 5)))


def test_final_score_removes_dead_stones_under_area_and_territory_rules():
    own = endgame_ownership()
    area = game_from_diagram(ENDGAME, 7, "chinese", komi=0.5)
    # black: 7 stones + 9 points (B6 included) = 16; white: 9 stones + 24 points (G3 included) = 33
    assert final_score(area, own) == "W+17.5"
    jp = game_from_diagram(ENDGAME, 7, "japanese", komi=0.5)
    # territory: black 9 + 1 prisoner (B6) = 10; white 24 + 1 prisoner (G3) = 25
    assert final_score(jp, own) == "W+15.5"


SEKI = """
    X O X . O X . . .
    X O X . O X . . .
    X O X X O X . . .
    X O O O O X . . .
    X X X X X X . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
"""


def test_seki_with_two_shared_liberties_is_found_and_gives_no_territory():
    g = game_from_diagram(SEKI, 9, "japanese", komi=0.0)
    inner = {coords.from_gtp(v, 9, 9) for v in ("C9", "C8", "C7", "D7")}
    ring = {coords.from_gtp(v, 9, 9) for v in ("B9", "B8", "B7", "B6", "C6", "D6", "E6", "E7", "E8", "E9")}
    own = np.ones((9, 9))
    for p in inner | ring | {coords.from_gtp("D9", 9, 9), coords.from_gtp("D8", 9, 9)}:
        own[divmod(p, 9)] = 0.0
    dead, seki = classify(g.board, own)
    assert not dead and seki == inner | ring
    assert sorted(map(len, status_list(g.board, dead, seki, "seki"))) == [4, 10]
    assert len(status_list(g.board, dead, seki, "alive")) == 1
    # Japanese: black's territory is the 51 empty points below and right; D9/D8 count for no one
    assert final_score(g, own) == "B+51"
    with pytest.raises(ValueError):
        status_list(g.board, dead, seki, "undecided")


def test_dame_between_living_groups_is_not_seki():
    g = game_from_diagram(ENDGAME, 7)
    assert seki_stones(g.board, dead_stones(g.board, endgame_ownership()), endgame_ownership()) == set()
