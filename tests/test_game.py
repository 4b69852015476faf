"""Game rules: superko cycles, passes, undo, copies, setup and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from engine.board import BLACK, WHITE, IllegalMoveError
from engine.game import Game
from engine.rules import AREA, HANDICAP_NONE, SIMPLE_KO, Rules, rules_by_name
from tests.conftest import at, game_from_diagram


def state(game: Game) -> tuple:
    """Everything a rejected move must leave unchanged."""
    b = game.board
    return (list(b.stones), b.hash, b.to_play, b.ko_point, dict(b.captures), b.passes,
            list(game.moves), dict(game.seen_positions))


# Three kos on one board. Kos at B and E hold a white stone (black may take);
# the ko at H holds a black stone (white may take). Both big groups have eyes.
TRIPLE_KO = """
   A B C D E F G H J
 6 . X X X . X X X .  6
 5 X X X X X X X X X  5
 4 X O X X O X X . X  4
 3 O . O O . O O X O  3
 2 O O O O O O O O O  2
 1 . O O O . O O O .  1
   A B C D E F G H J
"""
# Each move takes a ko; after six the first position returns.
CYCLE = ["B3", "H4", "E3", "B4", "H3", "E4"]


def play_cycle(game: Game, moves: list[str]) -> None:
    """Play the captures of the cycle, alternating from black; each takes one stone."""
    for vertex in moves:
        assert game.play(at(game, vertex)) == 1, vertex


def test_triple_ko_cycles_forever_under_simple_ko():
    """Under simple ko the sixth capture is legal and repeats the first position."""
    game = game_from_diagram(TRIPLE_KO, rules="japanese")
    start = game.board.hash
    play_cycle(game, CYCLE)
    assert game.board.hash == start and game.to_play == BLACK
    play_cycle(game, CYCLE)  # and round again
    assert game.board.hash == start


@pytest.mark.parametrize("rules", ["chinese", "aga"])  # positional, situational superko
def test_triple_ko_is_stopped_by_superko(rules):
    """The capture that would recreate an earlier position is illegal (superko)."""
    game = game_from_diagram(TRIPLE_KO, rules=rules)
    play_cycle(game, CYCLE[:5])
    last = at(game, CYCLE[5])
    assert game.board.is_legal(last)  # simple ko alone would allow it
    assert game.illegal_reason(last) == "superko"
    assert not game.legal_mask()[last]
    before = state(game)
    with pytest.raises(IllegalMoveError, match="superko"):
        game.play(last)
    assert state(game) == before


def test_situational_superko_tells_the_side_to_move_apart():
    """A pass repeats the stones: one key counted twice (positional), two keys (situational)."""
    for name, counts in (("chinese", [2]), ("aga", [1, 1])):
        game = Game(5, rules=name)
        game.play(at(game, "C3"))
        game.play(game.board.pass_move)
        seen = game.seen_positions
        assert sorted(seen.values()) == sorted([1] + counts), name  # empty board + C3


def test_two_passes_end_the_game_and_undo_reopens_it():
    """The game is over after two passes in a row, not after one."""
    game = Game(9)
    game.play(game.board.pass_move)
    assert not game.is_over()
    game.play(game.board.pass_move)
    assert game.is_over()
    game.undo()
    assert not game.is_over()


def test_undo_restores_every_earlier_state():
    """Undo after a capture restores stones, hash, captures, ko and the superko record."""
    game = game_from_diagram(TRIPLE_KO)
    states = [state(game)]
    for vertex in CYCLE[:4]:
        game.play(at(game, vertex))
        states.append(state(game))
    for expected in reversed(states[:-1]):
        game.undo()
        assert state(game) == expected
    with pytest.raises(IndexError):
        game.undo()


def test_copy_is_independent_even_through_undo():
    """A copy shares no board: undoing and playing on it leaves the original alone."""
    game = Game(9)
    for vertex in ("E5", "C3", "G7"):
        game.play(at(game, vertex))
    before = state(game)
    twin = game.copy()
    twin.undo()
    twin.undo()
    twin.play(at(twin, "D4"))  # plays on a board the original's undo stack held
    assert state(game) == before
    game.undo()
    assert game.board.stones[at(game, "C3")] == WHITE
    game.undo()  # the board the twin played D4 on, if it were shared
    assert game.board.stones[at(game, "D4")] == 0
    assert game.board.stones[at(game, "E5")] == BLACK


def test_history_boards_newest_first():
    """history_boards(n) gives the current board then earlier ones."""
    game = Game(9)
    for vertex in ("E5", "C3", "G7"):
        game.play(at(game, vertex))
    boards = game.history_boards(3)
    assert len(boards) == 3 and boards[0] is game.board
    assert [b.move_number for b in boards] == [3, 2, 1]
    assert len(game.history_boards(10)) == 4  # the empty board is the oldest
    assert game.history_boards(1) == [game.board]


@pytest.mark.parametrize("color,vertex,error", [
    ("green", "D4", ValueError), ("b", "Z9", ValueError), ("b", "D10", ValueError),
    ("w", "", ValueError), ("b", "E5", IllegalMoveError),
])
def test_bad_gtp_input_raises_and_changes_nothing(color, vertex, error):
    """Wrong colour words, malformed or off-board vertices and occupied points all fail cleanly."""
    game = Game(9)
    game.play_gtp("b", "E5")
    before = state(game)
    with pytest.raises(error):
        game.play_gtp(color, vertex)
    assert state(game) == before


def test_invalid_colour_number_or_move_type_is_rejected():
    """A colour other than 1 or -1, or a move that is not an int, raises IllegalMoveError."""
    game = Game(9)
    with pytest.raises(IllegalMoveError, match="color"):
        game.play(40, 0)
    for move in (81.0, "D4", None, True):
        with pytest.raises(IllegalMoveError, match="not a point"):
            game.play(move)
    game.play(np.int64(40))
    assert game.moves == [(BLACK, 40)] and type(game.moves[0][1]) is int


def test_setup_is_only_before_moves_and_is_atomic():
    """Setup after a move fails; a bad setup list places none of its stones."""
    game = Game(5)
    with pytest.raises(IllegalMoveError):
        game.setup([(BLACK, 0), (WHITE, 0)])  # the second is occupied
    assert not any(game.board.stones)
    game.play(12)
    with pytest.raises(IllegalMoveError):
        game.setup([(BLACK, 0)])


def test_suicide_follows_the_rule_set():
    """New Zealand and Tromp-Taylor allow multi-stone suicide; Chinese does not."""
    text = """
        . O . .
        O . O .
        X O . .
        . X O .
    """
    for name, allowed in (("chinese", False), ("new-zealand", True), ("tromp-taylor", True)):
        game = game_from_diagram(text, rules=name)
        assert game.is_legal(at(game, "A1")) is allowed, name
        assert not game.is_legal(at(game, "B3")), name  # a lone stone's suicide


def test_legal_mask_agrees_with_is_legal_under_superko():
    """The game's mask removes superko moves exactly where is_legal does."""
    game = game_from_diagram(TRIPLE_KO)
    play_cycle(game, CYCLE[:5])
    mask = game.legal_mask()
    assert list(mask[:-1]) == [game.is_legal(p) for p in range(game.board.area)]


def test_custom_rules_simple_ko_area():
    """A custom Rules object works like a preset (GNU Go cross-check style)."""
    rules = Rules("check", SIMPLE_KO, AREA, False, 7.5, HANDICAP_NONE)
    game = game_from_diagram(TRIPLE_KO, rules=rules)
    play_cycle(game, CYCLE)
    assert game.rules is rules and rules_by_name("TT").suicide
