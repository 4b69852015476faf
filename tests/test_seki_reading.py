"""The local reading of seki: the bent four in the corner is dead under territory rules; look-alikes that live do."""

from __future__ import annotations

import time

from engine.seki_reading import dead_by_confirmation
from engine.board import BLACK, WHITE
from engine.deadstones import DeadStoneConfig, find_status
from tests.conftest import at, game_from_diagram

CFG = DeadStoneConfig(playouts=64, min_playouts=64, max_seconds=30.0, status_net="none", unsettled_playouts=0)

# White's corner group has only the liberties C9 and A7, shared with black's
# B9 and A8; neither side can approach (white filling one is captured at once,
# black's A9-C9 chain of four would be in atari). It looks like seki, but
# black can fill A9, give up four stones at C9 and play the ko that follows
# (the bent four in the corner) when white has no ko threat left: dead.
BENT_FOUR = """
   A B C D E F G H J
 9 . X . O X . . . .  9
 8 X O O O X . . . .  8
 7 . O O O X . . . .  7
 6 O O O O X . . . .  6
 5 X X X X X . . . .  5
 4 . . . . . . . . .  4
 3 . . . . . . . . .  3
 2 . . . . . . . . .  2
 1 . . . . . . . . .  1
   A B C D E F G H J
"""

# The same corner with an eye at E9 for white: white may now fill C9 or A7
# without being captured, so black's B9 and A8 die and white lives.
WITH_AN_EYE = """
   A B C D E F G H J
 9 . X . O . O X . .  9
 8 X O O O O O X . .  8
 7 . O O O O O X . .  7
 6 O O O O O O X . .  6
 5 X X X X X X X . .  5
 4 . . . . . . . . .  4
 3 . . . . . . . . .  3
 2 . . . . . . . . .  2
 1 . . . . . . . . .  1
   A B C D E F G H J
"""


def stones_of(game, color: int) -> set[int]:
    """Every stone of one colour."""
    return {p for p, s in enumerate(game.board.stones) if s == color}


def test_under_area_rules_the_bent_four_is_left_to_be_played_out():
    """Its ko is fought with real threats there: the status stays seki."""
    game = game_from_diagram(BENT_FOUR, 9, "chinese", komi=0.5)
    status = find_status(game.board, cfg=CFG, game=game)
    white = stones_of(game, WHITE)
    assert status.dead == set()
    assert status.seki == white | {at(game, "B9"), at(game, "A8")}


def test_bent_four_in_the_corner_is_dead_under_japanese_rules():
    game = game_from_diagram(BENT_FOUR, 9, "japanese", komi=0.5)
    started = time.monotonic()
    status = find_status(game.board, cfg=CFG, game=game)
    assert time.monotonic() - started < 10
    white = stones_of(game, WHITE)
    assert status.dead == white and status.seki == set()
    # black: 59 empty points + 11 points under the dead stones + 11 prisoners; white nothing
    assert game.result_string(status.dead, status.seki) == "B+80.5"


def test_the_reading_kills_only_the_white_group():
    game = game_from_diagram(BENT_FOUR, 9, "japanese")
    inner = {at(game, "B9"), at(game, "A8")}
    assert dead_by_confirmation(game.board, stones_of(game, WHITE) | inner) == stones_of(game, WHITE)


def test_with_an_eye_outside_white_lives_and_black_inside_dies_under_both_rules():
    for rules in ("japanese", "chinese"):
        game = game_from_diagram(WITH_AN_EYE, 9, rules, komi=0.5)
        status = find_status(game.board, cfg=CFG, game=game)
        assert status.dead == {at(game, "B9"), at(game, "A8")}, rules
        assert status.seki == set(), rules
        assert not stones_of(game, WHITE) & status.dead
    assert stones_of(game, BLACK)
