"""Group status (engine.deadstones.find_status) on the classic hard cases, and scoring with it."""

from __future__ import annotations

import random

from engine import coords, playout
from engine.board import BLACK, WHITE, Board
from engine.deadstones import DeadStoneConfig, cleanup_move, find_status
from engine.game import Game
from engine.scoring import tromp_taylor_score
from engine.seki import shared_regions
from tests.diagrams import SEKI_WITH_EYES


def game_from(text: str, rules: str = "chinese", komi: float | None = 0.5) -> Game:
    """A game whose position is the ASCII board (stones set up)."""
    board = Board.from_ascii(text)
    game = Game(board.width, board.height, rules=rules, komi=komi)
    game.setup([(s, p) for p, s in enumerate(board.stones) if s])
    return game


def pts(game: Game, *vertices: str) -> set[int]:
    """Flat indices of GTP vertices."""
    return {coords.from_gtp(v, game.width, game.height) for v in vertices}


def chain(game: Game, vertex: str) -> set[int]:
    """The stones of the chain at a vertex."""
    return set(game.board.group_stones(min(pts(game, vertex))))


CFG = DeadStoneConfig(playouts=64, min_playouts=64, max_seconds=30.0, status_net="none", unsettled_playouts=0)

# Seki without eyes: black's B9-E9 and white's A8-G8/G9 share A9 and F9 and
# have no other liberty. Whoever fills one is captured, and the capturer then
# has a straight five along the edge (alive), so no one fills: seki. The
# outer black wall lives.
SEKI_NO_EYES = """
   A B C D E F G H J
 9 . X X X X . O X .  9
 8 O O O O O O O X .  8
 7 X X X X X X X X .  7
 6 . . . . . . . . .  6
 5 . . . . . . . . .  5
 4 . . . . . . . . .  4
 3 . . . . . . . . .  3
 2 . . . . . . . . .  2
 1 . . . . . . . . .  1
   A B C D E F G H J
"""


def test_seki_without_eyes_is_seki_not_dead():
    for rules in ("chinese", "japanese"):
        game = game_from(SEKI_NO_EYES, rules)
        status = find_status(game.board, cfg=CFG, game=game)
        assert status.dead == set(), rules
        assert status.seki == chain(game, "B9") | chain(game, "A8"), rules
    # area counting: A9 and F9 are no one's; black has 14 stones and 57 points, white 8 stones
    area = game_from(SEKI_NO_EYES)
    assert area.score(status.dead, status.seki) == 71 - 8 - 0.5
    # territory: the 57 points are black's, the seki liberties no one's
    assert game.score(status.dead, status.seki) == 57 - 0.5


# A seki look-alike: black's inner C9-D7 and white's ring share D9 and D8,
# but black can fill D8, let white capture five stones in a bulky-five shape
# and play its vital point C8: the ring dies under every rule, and the
# play-outs (which never sacrifice more than three stones) cannot see it.
BULKY_FIVE_SACRIFICE = """
   A B C D E F G H J
 9 X O X . O X . . .  9
 8 X O X . O X . . .  8
 7 X O X X O X . . .  7
 6 X O O O O X . . .  6
 5 X X X X X X . . .  5
 4 . . . . . . . . .  4
 3 . . . . . . . . .  3
 2 . . . . . . . . .  2
 1 . . . . . . . . .  1
   A B C D E F G H J
"""


def test_a_seki_look_alike_that_a_sacrifice_kills_is_dead_under_every_rule():
    for rules in ("chinese", "japanese"):
        game = game_from(BULKY_FIVE_SACRIFICE, rules)
        status = find_status(game.board, cfg=CFG, game=game)
        assert status.dead == chain(game, "B9"), rules
        assert status.seki == set(), rules
    area = game_from(BULKY_FIVE_SACRIFICE)
    assert find_status(area.board, cfg=CFG).dead == chain(area, "B9")   # no game: area rules
    assert area.result_string(chain(area, "B9"), set()) == "B+80.5"


def test_seki_with_eyes_under_area_and_territory_rules():
    area = game_from(SEKI_WITH_EYES, "chinese")
    status = find_status(area.board, cfg=CFG)
    assert status.dead == set()
    assert status.seki == chain(area, "C8") | chain(area, "C5")
    assert area.result_string(status.dead, status.seki) == "W+2.5"   # eyes count under area rules
    japanese = game_from(SEKI_WITH_EYES, "japanese")
    status = find_status(japanese.board, cfg=CFG, game=japanese)   # the confirmation reading keeps a real seki
    assert status.dead == set() and status.seki == chain(japanese, "C8") | chain(japanese, "C5")
    # territory: the eyes of the seki chains are no one's: A9 + G9 for black, A1 + G1 for white
    assert japanese.result_string(status.dead, status.seki) == "W+0.5"


# Dead shapes in territory: a white chain with a two-point eye space (H9 J9)
# in black's corner and a lone white stone at C6; white's bottom-left group
# lives, and so does black's wall with its two big areas.
DEAD_SHAPES = """
   A B C D E F G H J
 9 . . . . . X O . .  9
 8 . . . . . X O O O  8
 7 . . . . . X X X X  7
 6 . . O . . X . . .  6
 5 . . . . . X . . .  5
 4 X X X X X X . . .  4
 3 O O O O O X . . .  3
 2 . . . . O X . . .  2
 1 . . . . O X . . .  1
   A B C D E F G H J
"""


def test_dead_shapes_in_territory_are_dead_and_counted_by_both_rules():
    area = game_from(DEAD_SHAPES, "chinese")
    status = find_status(area.board, cfg=CFG)
    assert status.dead == chain(area, "G9") | chain(area, "C6")
    assert status.seki == set()
    # area: black 17 stones + 25 + 18 + 6 points; white 7 stones + 8 points
    assert area.result_string(status.dead, status.seki) == "B+50.5"
    japanese = game_from(DEAD_SHAPES, "japanese")
    # territory: black 49 points + 5 dead stones as prisoners; white 8 points
    assert japanese.result_string(status.dead, status.seki) == "B+45.5"


# False eyes: white's D6 and F6 look like eyes, but black's E7 and E5 make
# them false (every white chain around them has that point as its only
# liberty), so the white stones are dead inside black's area.
FALSE_EYES = """
   A B C D E F G H J
 9 . . . . . . . . .  9
 8 . X X X X X X X .  8
 7 . X O O X O O X .  7
 6 . X O . O . O X .  6
 5 . X X O X O X X .  5
 4 . . X X X X X . .  4
 3 . . . . . . . . .  3
 2 . . . . . . . . .  2
 1 . . . . . . . . .  1
   A B C D E F G H J
"""

# Dame: black's wall on column D and white's on F meet across column E, whose
# points touch both colours and count for no one.
DAME = """
   A B C D E F G H J
 9 . . . X . O . . .  9
 8 . . . X . O . . .  8
 7 . . X X . O . . .  7
 6 . . X . X O O . .  6
 5 . . X X . O . O .  5
 4 . . . X . O O . .  4
 3 . . . X . O . . .  3
 2 . . . X . O . . .  2
 1 . . . X . O . . .  1
   A B C D E F G H J
"""


def test_false_eyes_do_not_make_life():
    game = game_from(FALSE_EYES)
    status = find_status(game.board, cfg=CFG)
    white = {p for p, s in enumerate(game.board.stones) if s == WHITE}
    assert status.dead == white and status.seki == set()
    assert game.result_string(status.dead, status.seki) == "B+80.5"


def test_dame_counts_for_no_one_and_nothing_is_dead():
    game = game_from(DAME)
    status = find_status(game.board, cfg=CFG)
    assert status.dead == set() and status.seki == set()
    # black: columns A-D and the E6 stone; white: columns F-J; the other 8 E points are dame
    assert game.score(status.dead, status.seki) == 37 - 36 - 0.5


def test_play_outs_fill_dame_and_keep_seki():
    """A clean-up play-out ends with no dame left and the seki liberties still empty."""
    game = game_from(SEKI_NO_EYES)
    final = playout.play_out(game.board, random.Random(3))
    assert final.passes >= 2
    assert sorted(map(sorted, shared_regions(final))) == sorted([sorted(pts(game, "A9")), sorted(pts(game, "F9"))])


def test_cleanup_move_attacks_the_dead_chain():
    game = game_from(DEAD_SHAPES, "chinese")
    status = find_status(game.board, cfg=CFG)
    move = cleanup_move(game.board, BLACK, status)
    dead_libs = set()
    for c, stones, libs in game.board.chains():
        if c == WHITE and stones[0] in status.dead:
            dead_libs |= libs
    assert move in dead_libs
    assert cleanup_move(game.board, WHITE, status) is None   # no dead black stones


def test_territory_score_agrees_with_the_played_out_area_score():
    """Moves played in turn, no seki: territory (dead stones as prisoners) equals area after play-out."""
    walls = [v for row in "123456789" for v in (f"D{row}", f"F{row}")]
    dame = [f"E{row}" for row in "123456789"]                  # black E1, white E2, ... black E9
    moves = walls + dame + ["G5", "H5", "J1"]                   # white G5, black H5 (dead), white J1
    area, japanese = Game(9, rules="chinese", komi=0.5), Game(9, rules="japanese", komi=0.5)
    for i, v in enumerate(moves):
        color = BLACK if i % 2 == 0 else WHITE
        for g in (area, japanese):
            g.play(coords.from_gtp(v, 9, 9), color)
    status = find_status(area.board, cfg=CFG)
    assert status.dead == pts(area, "H5") and status.seki == set()
    by_area = area.score(status.dead, status.seki)
    assert by_area == 41 - 40 - 0.5          # columns A-D + 5 E stones; F-J + 4 E stones
    assert japanese.score(status.dead, status.seki) == by_area
    played = [tromp_taylor_score(playout.play_out(area.board, random.Random(s)), 0.5) for s in range(4)]
    assert played == [by_area] * 4


# From a zerogo-GNU Go match (game 1 of the 20 in the scoring issue's notes):
# white's top-left chain has no eye and only the liberties A9 and B8, which it
# shares with black's lone A8. It looks like seki, but black can fill B8: the
# two black stones are captured and white is left with a two-point eye, dead.
# GNU Go's clean-up play-out of this position ended B+22.
SACRIFICE = """
   A B C D E F G H J
 9 . O O X X . X X .  9
 8 X . O O X X . X X  8
 7 O O O O X X . X O  7
 6 O O X X X . O X .  6
 5 X X X X O X X X X  5
 4 X O X O O O O X X  4
 3 X O O O . O O O X  3
 2 O O . . . O X O X  2
 1 . . O O . O X X X  1
   A B C D E F G H J
"""


def test_an_eyeless_group_beside_a_small_enemy_group_that_can_sacrifice_is_dead():
    game = game_from(SACRIFICE, komi=7.0)
    status = find_status(game.board, cfg=CFG)
    assert chain(game, "C8") <= status.dead and status.seki == set()
    assert status.dead == chain(game, "C8") | chain(game, "G6") | chain(game, "J7")
    assert game.result_string(status.dead, status.seki) == "B+22"
