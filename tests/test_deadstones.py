"""Dead stones and seki from the one status finder (engine.deadstones.find_status), and scoring with them."""

import numpy as np
import pytest

from engine import coords
from engine.deadstones import (FLOOR_PLAYOUTS, DeadStoneConfig, OwnershipShapeError, find_status, status_list,
                               within_seconds)
from tests.conftest import game_from_diagram

CFG = DeadStoneConfig(playouts=64, min_playouts=64, max_seconds=30.0, status_net="none", unsettled_playouts=0)

ENDGAME = """
    . . . X . X O
    . O . X X X O
    . . . X O O O
    X X X X O . .
    O O O O O O O
    . . . . O X .
    . . . . O . .
"""


def test_dead_stones_are_the_chains_the_opponent_owns():
    g = game_from_diagram(ENDGAME, 7)
    status = find_status(g.board, cfg=CFG)
    assert status.dead == {coords.from_gtp("B6", 7, 7), coords.from_gtp("F2", 7, 7)}
    assert status.seki == set()
    with pytest.raises(OwnershipShapeError):
        find_status(g.board, np.zeros((5, 5)), cfg=CFG)


def test_final_score_removes_dead_stones_under_area_and_territory_rules():
    area = game_from_diagram(ENDGAME, 7, "chinese", komi=0.5)
    status = find_status(area.board, cfg=CFG, game=area)
    # black: 10 stones + E7 + 9 corner points (B6 included) = 20; white: 15 stones + 2 + 8 + 4 (F2 included) = 29
    assert area.result_string(status.dead, status.seki) == "W+9.5"
    jp = game_from_diagram(ENDGAME, 7, "japanese", komi=0.5)
    status = find_status(jp.board, cfg=CFG, game=jp)
    # territory: black 10 + 1 prisoner (B6) = 11; white 14 + 1 prisoner (F2) = 15
    assert jp.result_string(status.dead, status.seki) == "W+4.5"


SEKI = """
    . X X X X . O X .
    O O O O O O O X .
    X X X X X X X X .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
"""


def test_seki_with_two_shared_liberties_is_found_and_gives_no_territory():
    g = game_from_diagram(SEKI, 9, "japanese", komi=0.0)
    inner = {coords.from_gtp(v, 9, 9) for v in ("B9", "C9", "D9", "E9")}
    ring = {coords.from_gtp(v, 9, 9) for v in ("A8", "B8", "C8", "D8", "E8", "F8", "G8", "G9")}
    status = find_status(g.board, cfg=CFG, game=g)
    dead, seki = status.dead, status.seki
    assert not dead and seki == inner | ring
    assert sorted(map(len, status_list(g.board, dead, seki, "seki"))) == [4, 8]
    assert len(status_list(g.board, dead, seki, "alive")) == 1
    # Japanese: black's territory is the 57 empty points right and below; A9/F9 count for no one
    assert g.result_string(dead, seki) == "B+57"
    with pytest.raises(ValueError):
        status_list(g.board, dead, seki, "undecided")


def test_dame_between_living_groups_is_not_seki():
    g = game_from_diagram(ENDGAME, 7)
    assert find_status(g.board, cfg=CFG).seki == set()


def test_within_seconds_keeps_a_floor_of_play_outs():
    """No time left still leaves a few play-outs; time to spare changes nothing."""
    cfg = DeadStoneConfig()
    assert within_seconds(cfg, 10.0) is cfg
    cut = within_seconds(cfg, -1.0)
    assert cut.max_seconds == 0.0 and cut.min_playouts == FLOOR_PLAYOUTS
    half = within_seconds(cfg, cfg.max_seconds / 2)
    assert half.min_playouts == cfg.min_playouts // 2 and half.playouts == cfg.playouts
