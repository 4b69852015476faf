"""KataGo's V7 input features (engine.katago.features), plane family by plane family, on drawn boards.

The whole-network parity test against KataGo's own outputs lives in
tests/test_katago_parity.py; these tests pin each family down on its own.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, WHITE
from engine.evaluation import Position
from engine.game import Game
from engine.katago import features as KF
from engine.katago.katarules import KATAGO_PRESETS, katago_rules
from engine.life import area_map
from engine.rules import PRESETS, rules_by_name
from engine.trail import Trail
from tests.conftest import game_from_diagram


def game_from(text: str, rules: str = "chinese", to_play: int = WHITE) -> Game:
    """The drawn position (stones set up) with ``to_play`` to move."""
    return game_from_diagram(text, rules=rules, to_play=to_play)


def encode(game: Game) -> tuple[np.ndarray, np.ndarray]:
    """The game's current position's planes and globals."""
    return KF.encode(Position.from_game(game))


def marks(plane: np.ndarray, game: Game) -> list[str]:
    """The GTP vertices where a plane is set."""
    w, h = game.width, game.height
    return sorted(coords.to_gtp(int(r) * w + int(c), w, h) for r, c in zip(*np.nonzero(plane)))


def play(game: Game, *vertices: str) -> None:
    """Play GTP vertices (or ``pass``) in turn."""
    for v in vertices:
        game.play(coords.from_gtp(v, game.width, game.height))


# White E5 is in atari; each escape leaves two liberties and runs into the edge.
LADDER = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . X . . . . .
. . . X O X . . .
. . . . X . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""
# The same with a white stone on the ladder's path.
LADDER_BREAKER = LADDER.replace("""
. . . . . . . . .
. . . . . . . . .
. . . X""", """
. . . . . . O . .
. . . . . . . . .
. . . X""", 1)
# White E5 has two liberties (E4, E6): black E4 starts a working ladder, E6 does not.
TWO_LIBS = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . X . . . . .
. . . X O X . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_shapes_mask_stones_and_liberties():
    game = game_from(TWO_LIBS, to_play=BLACK)
    planes, glob = encode(game)
    assert planes.shape == (22, 9, 9) and planes.dtype == np.float32
    assert glob.shape == (19,) and glob.dtype == np.float32
    assert planes[0].all()
    assert marks(planes[1], game) == ["D5", "D6", "F5"]      # black to move: own stones
    assert marks(planes[2], game) == ["E5"]
    assert marks(planes[4], game) == ["E5"]                   # two liberties
    assert marks(planes[3], game) == []
    assert marks(planes[5], game) == ["F5"]                   # D5-D6 has five
    assert not planes[[7, 8, 20, 21]].any()                   # no encore


def test_a_working_ladder_marks_the_laddered_stone():
    game = game_from(LADDER)
    planes, _ = encode(game)
    assert marks(planes[14], game) == ["E5"]
    assert marks(planes[15], game) == ["E5"]  # no history: the current board stands in
    assert not planes[17].any()


def test_a_ladder_breaker_saves_the_stone():
    game = game_from(LADDER_BREAKER)
    planes, _ = encode(game)
    assert not planes[14].any()


def test_two_liberty_ladder_marks_the_working_move_for_the_attacker_only():
    black = game_from(TWO_LIBS, to_play=BLACK)
    planes, _ = encode(black)
    assert marks(planes[14], black) == ["E5"]
    assert marks(planes[17], black) == ["E4"]
    white = game_from(TWO_LIBS, to_play=WHITE)
    planes, _ = encode(white)
    assert marks(planes[14], white) == ["E5"]
    assert not planes[17].any()  # working moves are the side to move's, against the opponent


def test_ladder_planes_for_earlier_boards_follow_the_moves():
    game = game_from(TWO_LIBS, to_play=BLACK)
    play(game, "E4", "E6")  # black's working atari, white runs
    planes, _ = encode(game)
    assert marks(planes[16], game) == ["E5"]        # two moves ago: the two-liberty ladder
    assert marks(planes[15], game) == ["E5"]        # one move ago: in atari, laddered
    assert marks(planes[14], game) == ["E5", "E6"]  # now: two liberties, still a ladder


# Black C4 takes the ko at B4.
KO = """
. X O . .
X O . O .
. X O . .
. . . . .
. . . . .
"""


def test_simple_ko_point_is_banned():
    game = game_from(KO, to_play=BLACK)
    play(game, "C4")
    planes, _ = encode(game)
    assert marks(planes[6], game) == ["B4"]
    assert marks(planes[9], game) == ["C4"]


@pytest.mark.parametrize("rules, banned", [
    ("tromp-taylor", ["B4"]), ("new-zealand", ["B4"]), ("aga", ["B4"]),
    ("chinese", []), ("japanese", []),
])
def test_superko_bans_retaking_after_passes(rules, banned):
    """After the ko capture and two passes, retaking repeats the first position: banned by superko only."""
    game = game_from(KO, rules=rules, to_play=BLACK)
    play(game, "C4", "pass", "pass")
    planes, _ = encode(game)
    assert game.board.ko_point < 0
    assert marks(planes[6], game) == banned


def test_last_moves_and_their_colours():
    game = game_from(TWO_LIBS, to_play=BLACK)
    play(game, "A1", "B1", "C1", "pass", "D1", "E1")
    planes, glob = encode(game)
    assert [marks(planes[9 + i], game) for i in range(5)] == [["E1"], ["D1"], [], ["C1"], ["B1"]]
    assert glob[:5].tolist() == [0, 0, 1, 0, 0]
    game.play(coords.from_gtp("F1", 9, 9), WHITE)  # white twice: the history stops after F1
    planes, glob = encode(game)
    assert marks(planes[9], game) == ["F1"] and not planes[10:14].any() and not glob[:5].any()


def test_one_pass_shows_history_under_japanese_and_tromp_taylor_rules():
    for rules in ("japanese", "tromp-taylor"):
        game = game_from(TWO_LIBS, rules=rules, to_play=BLACK)
        play(game, "A1", "pass")
        planes, glob = encode(game)
        assert glob[0] == 1 and glob[14] == 1  # white passed; a pass now ends the game
        assert marks(planes[10], game) == ["A1"]


def test_one_pass_hides_history_when_friendly_passing_is_ok():
    """KataGo 1.17.2 (chinese, aga, new-zealand): a pass that would end the game hides the history."""
    for rules in ("chinese", "aga", "new-zealand"):
        game = game_from(TWO_LIBS, rules=rules, to_play=BLACK)
        play(game, "A1", "pass")
        planes, glob = encode(game)
        assert not glob[:5].any() and glob[14] == 0
        assert not planes[9:14].any()


def test_after_two_passes_the_history_restarts_at_the_second_pass():
    for rules in ("chinese", "japanese", "tromp-taylor"):
        game = game_from(TWO_LIBS, rules=rules, to_play=BLACK)
        play(game, "A1", "pass", "pass")
        planes, glob = encode(game)
        assert glob[:5].tolist() == [1, 0, 0, 0, 0] and glob[14] == 1
        assert not planes[9:14].any()
        play(game, "B1")
        planes, glob = encode(game)
        assert marks(planes[9], game) == ["B1"] and glob[:5].tolist() == [0, 1, 0, 0, 0]
        assert glob[14] == 0


# Black's group has two eyes (A9, C9 region) and a dead white stone inside.
ALIVE = """
. X . X O . . . .
X X X X O . . . .
O O O O O . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . X . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_area_planes_under_area_scoring_are_katagos_area():
    game = game_from(ALIVE, rules="chinese", to_play=BLACK)
    planes, _ = encode(game)
    area = np.array(area_map(game.board, True, True, True), np.int8).reshape(9, 9)
    assert (planes[18] == (area == BLACK)).all()
    assert (planes[19] == (area == WHITE)).all()
    assert planes[18, 0, 0] == 1 and planes[18, 0, 2] == 1  # black's eyes


def test_area_planes_are_empty_under_territory_scoring():
    game = game_from(ALIVE, rules="japanese", to_play=BLACK)
    planes, _ = encode(game)
    assert not planes[18].any() and not planes[19].any()


# (rules, komi seen by black to move on an empty 19x19 / 20, ko globals 6-7,
#  suicide, territory, tax 10-11, parity wave)
PRESET_GLOBALS = {
    "chinese": (-7.5 / 20, (0, 0), 0, 0, (0, 0), -0.5),
    "japanese": (-6.5 / 20, (0, 0), 0, 1, (1, 0), 0.0),
    "korean": (-6.5 / 20, (0, 0), 0, 1, (1, 0), 0.0),
    "tromp-taylor": (-7.5 / 20, (1, 0.5), 1, 0, (0, 0), -0.5),
    "aga": (-7.5 / 20, (1, -0.5), 0, 0, (0, 0), -0.5),
    "new-zealand": (-7.0 / 20, (1, -0.5), 1, 0, (0, 0), 0.0),
}


@pytest.mark.parametrize("rules", sorted(PRESETS))
def test_globals_for_each_rules_preset(rules):
    komi, ko, suicide, territory, tax, wave = PRESET_GLOBALS[rules]
    _, glob = encode(Game(19, rules=rules))
    assert glob[5] == pytest.approx(komi)
    assert tuple(glob[6:8]) == ko
    assert glob[8] == suicide and glob[9] == territory and tuple(glob[10:12]) == tax
    assert glob[18] == pytest.approx(wave)
    assert not glob[[0, 1, 2, 3, 4, 12, 13, 14, 15, 16, 17]].any()


@pytest.mark.parametrize("rules, white_komi", [
    ("chinese", 7.5 + 4), ("aga", 7.5 + 3), ("tromp-taylor", 7.5), ("new-zealand", 7.0),
    ("japanese", 6.5 + 4),  # territory scoring: one point per black stone placed
])
def test_handicap_compensation_in_the_komi(rules, white_komi):
    game = Game(19, rules=rules)
    game.fixed_handicap(4)
    _, glob = encode(game)
    assert glob[5] == pytest.approx(white_komi / 20)


def test_territory_komi_counts_the_moves_played():
    game = Game(19, rules="japanese")
    play(game, "D4")
    _, glob = encode(game)
    assert glob[5] == pytest.approx((6.5 + 1) / 20)  # white to move: black has one more stone
    play(game, "pass")
    _, glob = encode(game)
    assert glob[5] == pytest.approx(-(6.5 + 1) / 20)


def test_katago_rules_for_presets_and_custom_rules():
    for name in PRESETS:
        assert katago_rules(rules_by_name(name, 3.0)) == KATAGO_PRESETS[name]
    assert katago_rules(rules_by_name("chinese")).ko == "SIMPLE"  # KataGo's chinese
    custom = PRESETS["chinese"].__class__("mine", "positional", "area", False, 7.5, "N")
    assert katago_rules(custom).ko == "POSITIONAL"


def test_search_children_encode_like_the_game():
    """Position.child extends the trail: a search node sees the same inputs as the game after the move."""
    game = game_from(KO, rules="tromp-taylor", to_play=BLACK)
    play(game, "C4", "pass")
    root = Position.from_game(game)
    child_game = game.copy()
    play(child_game, "pass")
    child = root.child(child_game.board)
    for a, b in zip(KF.encode(child), KF.encode(Position.from_game(child_game))):
        assert (a == b).all()
    assert child.trail.length == 3 and child.trail.prev is root.trail


def test_positions_without_a_trail_use_their_boards():
    game = game_from(TWO_LIBS, to_play=BLACK)
    play(game, "E4")
    planes, _ = KF.encode(Position(game.history_boards(3), game.rules))
    assert marks(planes[9], game) == ["E4"]
    assert Trail.from_game(game).length == 1


def test_batch_pads_smaller_boards():
    small = Game(9)
    play(small, "E5")
    planes, glob = KF.encode_batch([Position.from_game(small), Position.from_game(Game(19))])
    assert planes.shape == (2, 22, 19, 19) and glob.shape == (2, 19)
    assert planes[0, 0].sum() == 81 and planes[0, 0, :9, :9].all()
    assert planes[0, 9, 4, 4] == 1 and not planes[0, :, 9:, :].any()


def test_empty_position_is_rejected():
    with pytest.raises(KF.KataFeatureError):
        KF.encode(Position([], rules_by_name("chinese")))
    with pytest.raises(KF.KataFeatureError):
        planes = np.zeros((22, 9, 9), np.float32)
        KF.fill(Position.from_game(Game(13)), planes, np.zeros(19, np.float32))
