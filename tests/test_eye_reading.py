"""Dead eye shapes the play-outs miss (engine.eye_reading), and find_status counting with them."""

from dataclasses import replace
from pathlib import Path

from engine import coords
from engine.deadstones import DeadStoneConfig, find_status
from engine.eye_reading import dead_eye_shapes, enclosed_eye_space
from engine.sgf import load_sgf_file
from tests.conftest import at, game_from_diagram

CFG = DeadStoneConfig(playouts=64, min_playouts=64, max_seconds=30.0, status_net="none", unsettled_playouts=0)
REPO = Path(__file__).resolve().parents[1]

# black's corner chain encloses a square four (F7 G7 F6 G6) inside white's living wall
SQUARE_FOUR = """
    . O . O X . .
    O O O O X . .
    . O . O X X X
    O O O O O O O
    O O O O O O O
    O . O . O . O
    . O . O . O .
"""

# the same corner with a bulky five (E7 F7 G7 F6 G6)
BULKY_FIVE = """
    . O O X . . .
    O O O X X . .
    . O O O X X X
    O O O O O O O
    O O O O O O O
    O . O . O . O
    . O . O . O .
"""

# a straight four on the edge (D7-G7): alive whoever moves first
STRAIGHT_FOUR = """
    . O X . . . .
    O O X X X X X
    . O O O O O O
    O O O O O O O
    O O O O O O O
    O . O . O . O
    . O . O . O .
"""

# the bulky five again, but white's wall (C7 ... G4) has two open liberties (B5, E3)
# and black's living group outside wins the race: the wall dies, the corner lives
RACE = """
    . X O X . . .
    X X O X X . .
    X . O O X X X
    X X X O O O O
    X X X X . X X
    X . X X X . X
    . X X . X X .
"""


def _corner_chain(game, vertex: str):
    board = game.board
    point = at(board, vertex)
    return [(board.stones[point], board.group_stones(point), board.group_liberties(point))]


def test_square_four_and_bulky_five_are_dead_and_the_straight_four_lives():
    cases = ((SQUARE_FOUR, "E7", "F7 G7 F6 G6"), (BULKY_FIVE, "D7", "E7 F7 G7 F6 G6"), (STRAIGHT_FOUR, "C7", ""))
    for diagram, vertex, eyes in cases:
        game = game_from_diagram(diagram, 7)
        killed = dead_eye_shapes(game.board, _corner_chain(game, vertex), set())
        assert bool(killed) is bool(eyes), diagram
        if eyes:
            stones, space = killed[0]
            assert set(stones) == set(game.board.group_stones(at(game, vertex)))
            assert set(space) == {at(game, v) for v in eyes.split()}


def test_eye_space_must_be_enclosed_by_the_chain_alone_and_small():
    game = game_from_diagram(SQUARE_FOUR, 7)
    stones = game.board.group_stones(at(game, "E7"))
    assert sorted(enclosed_eye_space(game.board, stones, game.board.group_liberties(stones[0]))) == sorted(
        at(game, v) for v in ("F7", "G7", "F6", "G6"))
    white = game.board.group_stones(at(game, "D7"))   # its liberties open onto the whole board
    assert enclosed_eye_space(game.board, white, game.board.group_liberties(white[0])) is None


def test_find_status_kills_the_square_four_that_play_outs_let_live():
    game = game_from_diagram(SQUARE_FOUR, 7)
    corner = set(game.board.group_stones(at(game, "E7")))
    no_reading = find_status(game.board, cfg=replace(CFG, seki_reading_nodes=0))
    assert not corner & no_reading.dead           # the play-outs alone get it wrong
    status = find_status(game.board, cfg=CFG)
    assert status.dead == corner
    assert game.result_string(status.dead, status.seki) == f"W+{49 + game.komi}"
    assert all(status.ownership.reshape(-1)[p] == -1 for p in corner)


def test_a_corner_that_wins_the_race_against_a_short_wall_is_not_read():
    game = game_from_diagram(RACE, 7)
    assert dead_eye_shapes(game.board, _corner_chain(game, "D7"), set()) == []
    status = find_status(game.board, cfg=CFG)
    wall = set(game.board.group_stones(at(game, "C7")))
    assert wall <= status.dead
    assert at(game, "D7") not in status.dead


def test_match_game_counted_as_both_engines_and_gnu_go_count_it():
    game = load_sgf_file(REPO / "weights" / "distil19" / "match-r2-gnugo10-5s" / "game0016.sgf")
    status = find_status(game.board, cfg=replace(CFG, playouts=128, min_playouts=128))
    dead = {coords.to_gtp(p, 19, 19) for p in status.dead}
    # GNU Go's final_status_list dead for this position, the top right square four included
    assert dead == set("K19 K18 N19 P19 Q19 R19 S19 T19 Q18 R18 R17 R16 S16 T16 S15 S14 S13 M18 T7 E1".split())
    assert game.result_string(status.dead, status.seki) == "W+32.5"
