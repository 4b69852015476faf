"""Feature planes of hand-drawn positions, history after captures, padding and symmetries."""

import numpy as np
import pytest

from engine import coords
from engine import features as F
from engine.board import BLACK, WHITE, Board
from engine.evaluation import Position
from engine.game import Game
from engine.rules import rules_by_name
from engine.symmetry import (SymmetryError, apply_symmetry_planes, apply_symmetry_policy,
                             inverse_symmetry, inverse_symmetry_planes, inverse_symmetry_policy,
                             move_permutation)

CHINESE = rules_by_name("chinese")


def _pts(*vertices, size=9):
    return {coords.from_gtp(v, size, size) for v in vertices}


def _on(plane):
    """Set of flat indices where a plane is 1."""
    return {int(i) for i in np.flatnonzero(plane.reshape(-1))}


LIB_BOARD = """
   A B C D E F G H J
 9 X O . . . . . . . 9
 8 . . . . . . . . . 8
 7 . . . . . . . . . 7
 6 . . . X X . . . . 6
 5 . . . . . . . . . 5
 4 . . O . . . . . . 4
 3 . O X O . . . . . 3
 2 . . . . . . . . . 2
 1 . . . . . . . . . 1
   A B C D E F G H J
"""


def test_liberty_planes_hand_drawn():
    board = Board.from_ascii(LIB_BOARD, to_play=WHITE)
    planes, _ = F.encode(Position([board], CHINESE))
    assert _on(planes[F.LIBERTY_PLANES]) == _pts("A9", "C3")
    assert _on(planes[F.LIBERTY_PLANES + 1]) == _pts("B9")
    assert _on(planes[F.LIBERTY_PLANES + 2]) == _pts("D6", "E6", "C4", "B3", "D3")


def test_liberty_classes_match_flood_filled_chains():
    """``board_arrays`` (the search's vectorised version) agrees with the board's chains on random games."""
    rng = np.random.default_rng(3)
    for width, height in ((9, 9), (13, 7)):
        board = Board(width, height)
        for _ in range(width * height * 2):
            legal = np.flatnonzero(board.legal_mask()[:-1])
            if not len(legal):
                break
            board.play(int(rng.choice(legal)))
            stones, libs = F.board_arrays(board)
            truth = np.zeros(board.area, np.int8)
            for _, chain, liberties in board.chains():
                truth[list(chain)] = min(len(liberties), 3)
            assert (libs.ravel() == truth).all() and (stones.ravel() == board.stones).all()
            assert libs.shape == (height, width)


def test_liberty_classes_after_a_move_match_a_fresh_count():
    """The search's shortcut (only the points a move changed are redone) agrees with a count from
    scratch after every move of random games, captures and suicides included; it is really taken."""
    rng = np.random.default_rng(4)
    taken = captures = 0
    for (width, height), suicide in (((9, 9), False), ((7, 7), True), ((13, 7), False)):
        board = Board(width, height, suicide_allowed=suicide)
        F.board_arrays(board)
        for _ in range(width * height * 2):
            legal = np.flatnonzero(board.legal_mask()[:-1])
            if not len(legal):
                break
            child = board.copy()
            captured = child.play(int(rng.choice(legal)))
            shortcut = F._arrays_after_move(board, child)
            fresh = F._board_arrays(child)
            if shortcut is not None:
                taken += 1
                captures += captured > 0
                assert (shortcut[0] == fresh[0]).all() and (shortcut[1] == fresh[1]).all()
                assert (child.stones_flat() == np.array(child.stones)).all()
            F.board_arrays(child, board)
            board = child
    assert taken > 300 and captures > 10


@pytest.mark.parametrize("history", [8, 4, 11])
def test_child_positions_stack_on_their_parents_history(history):
    """A search's child position (``Position.child``) starts its history stack from its parent's;
    every encoding, passes and captures included, equals one made from the boards alone."""
    rng = np.random.default_rng(history)
    game = Game(9)
    position = Position.from_game(game, history)
    F.encode_batch([position])
    reused = 0
    for _ in range(70):
        legal = np.flatnonzero(position.board.legal_mask())
        move = int(rng.choice(legal)) if rng.random() > 0.1 else position.board.pass_move
        board = position.board.copy()
        board.play(move)
        child = position.child(board, history)
        reused += child.parent_history is not None
        fresh = Position(list(child.boards), child.rules)
        got, want = F.encode_batch([child]), F.encode_batch([fresh])
        assert (got[0] == want[0]).all() and (got[1] == want[1]).all()
        assert (F.encode(child)[0] == want[0][0]).all()
        position = child
    assert reused == 70


def test_a_position_on_a_live_board_is_stacked_again_after_a_move():
    """``Position.from_game`` holds the game's live board: once it has moved on, the kept stack is
    not reused (the planes follow the board, as before the stack was kept)."""
    game = Game(9)
    game.play(coords.from_gtp("E5", 9, 9))
    position = Position.from_game(game)
    before = F.encode_batch([position])[0]
    game.play(coords.from_gtp("C3", 9, 9))
    after = F.encode_batch([position])[0]
    fresh = F.encode_batch([Position(list(position.boards), position.rules)])[0]
    assert (after == fresh).all() and not (after == before).all()


def test_stone_planes_are_side_to_move_relative():
    board = Board.from_ascii(LIB_BOARD, to_play=WHITE)
    planes, _ = F.encode(Position([board], CHINESE))
    assert _on(planes[1]) == _pts("B9", "C4", "B3", "D3")       # white = side to move
    assert _on(planes[2]) == _pts("A9", "D6", "E6", "C3")
    board.to_play = BLACK
    planes, _ = F.encode(Position([board], CHINESE))
    assert _on(planes[1]) == _pts("A9", "D6", "E6", "C3")
    assert planes[3:1 + 2 * F.HISTORY].sum() == 0              # no history given


KO_BOARD = """
 . . . . . . . . .
 . X O . . . . . .
 X O . O . . . . .
 . X O . . . . . .
 . . . . . . . . .
 . . . . . . . . .
 . . . . . . . . .
 . . . . . . . . .
 . . . . . . . . .
"""


def test_ko_point_and_history_after_capture():
    before = Board.from_ascii(KO_BOARD, to_play=BLACK)
    after = before.copy()
    assert after.play(2 * 9 + 2) == 1                          # black takes at (2, 2)
    assert after.ko_point == 2 * 9 + 1
    planes, glob = F.encode(Position([after, before], CHINESE))
    assert _on(planes[F.KO_PLANE]) == {2 * 9 + 1}               # white may not retake
    assert 2 * 9 + 1 not in _on(planes[1])                      # captured white stone gone ...
    assert 2 * 9 + 1 in _on(planes[3])                          # ... but in the previous board
    assert _on(planes[4]) == _on(planes[2]) - {2 * 9 + 2}       # black's new stone only now
    assert glob[1] == 0.0                                       # white to move
    # black (not to move) sees no ko plane once the ko is not its to respect
    after.to_play = BLACK
    planes, _ = F.encode(Position([after, before], CHINESE))
    assert planes[F.KO_PLANE].sum() == 0


def test_history_from_game_and_passes():
    g = Game(9)
    for v in ["D4", "E5", "C3", "pass"]:
        g.play_gtp("b" if len(g.moves) % 2 == 0 else "w", v)
    pos = Position.from_game(g, F.HISTORY)
    planes, glob = F.encode(pos)
    assert len(pos.boards) == 5
    assert _on(planes[1]) == _pts("D4", "C3")                   # black to move
    assert _on(planes[3]) == _pts("D4", "C3")                   # the pass repeated the board
    assert _on(planes[5]) == _pts("D4")
    assert _on(planes[8]) == set() and planes[9:1 + 2 * F.HISTORY].sum() == 0
    assert glob[6] == 1.0                                       # last move was a pass


def test_globals_komi_and_rules():
    g = Game(9, rules="japanese", komi=6.5)
    _, glob = F.encode(Position.from_game(g))
    assert glob.tolist() == pytest.approx([-6.5 / 20, 1, 1, 1, 0, 0, 0])
    g = Game(9, rules="new-zealand")      # situational superko and suicide: the net sees Chinese's rules
    g.play(0)
    _, glob = F.encode(Position.from_game(g))
    assert glob.tolist() == pytest.approx([7.0 / 20, 0, 0, 0, 0, 0, 0])


def test_the_net_sees_chinese_rules_under_area_scoring_and_japanese_under_territory():
    from gtp.server.kata_rules import parse_kata_rules
    area = [rules_by_name(n, 7.5) for n in ("chinese", "aga", "tromp-taylor", "new-zealand")]
    area.append(parse_kata_rules("chinese").with_komi(7.5))     # KataGo's Chinese: simple ko
    territory = [rules_by_name(n, 7.5) for n in ("japanese", "korean")]
    for group, expected in ((area, (0, 0, 0, 0)), (territory, (1, 1, 0, 0))):
        for rules in group:
            assert F.rule_inputs(rules) == expected, rules
            _, glob = F.encode(Position.from_game(Game(9, rules=rules)))
            assert glob.tolist() == pytest.approx([-7.5 / 20, 1, *expected, 0])


def test_the_shipped_19x19_net_judges_the_empty_board_alike_under_every_area_rule_set():
    """Shown AGA's or Tromp-Taylor's ko and suicide inputs, which it never saw, it said white +56 and +24."""
    from engine.evaluator import EvaluatorConfig, load_evaluator
    from tests.gtp_session import REPO
    net = load_evaluator(f"{REPO}/weights/zerogo-19x19.onnx", EvaluatorConfig(threads=1))
    evals = [net.evaluate([Position.from_game(Game(19, rules=rules_by_name(n, 7.5)))])[0]
             for n in ("chinese", "aga", "tromp-taylor", "new-zealand")]
    assert all(e.value == pytest.approx(evals[0].value) and e.score_lead == pytest.approx(evals[0].score_lead)
               for e in evals)
    assert abs(evals[0].score_lead) < 3


def test_encode_batch_pads_smaller_boards():
    g9 = Game(9)
    g9.play_gtp("b", "E5")
    g19 = Game(19)
    positions = [Position.from_game(g9), Position.from_game(g19)]
    planes, glob = F.encode_batch(positions)
    assert planes.shape == (2, F.NUM_PLANES, 19, 19) and glob.shape == (2, F.NUM_GLOBALS)
    alone, _ = F.encode(positions[0])
    assert np.array_equal(planes[0, :, :9, :9], alone)
    assert planes[0, :, 9:, :].sum() == 0 and planes[0, :, :, 9:].sum() == 0
    assert planes[1, F.MASK_PLANE].sum() == 361
    with pytest.raises(F.FeatureError):
        F.encode_batch(positions, pad_to=(9, 9))
    with pytest.raises(F.FeatureError):
        F.encode(Position([], CHINESE))


def test_a_batch_of_one_board_size_equals_its_positions_encoded_one_by_one():
    rng = np.random.default_rng(4)
    positions = []
    for _ in range(3):                      # random games: captures, passes, both colours to move
        game = Game(9)
        for ply in range(120):
            moves = np.flatnonzero(game.board.legal_mask())
            game.play(int(rng.choice(moves)))
            if ply % 11 == 3:
                positions.append(Position.from_game(game))
    before = Board.from_ascii(KO_BOARD, to_play=BLACK)
    after = before.copy()
    after.play(2 * 9 + 2)
    positions.append(Position([after, before], CHINESE))     # a ko point for white
    want = np.stack([F.encode(p)[0] for p in positions])
    assert want[-1, F.KO_PLANE].sum() == 1
    garbage = np.empty((len(positions), F.NUM_PLANES, 9, 9), np.float32)
    garbage.fill(7.0)                       # the unpadded batch is written over uninitialised memory
    del garbage
    planes, _ = F.encode_batch(positions)
    np.testing.assert_array_equal(planes, want)
    padded, _ = F.encode_batch(positions, pad_to=(11, 10))
    np.testing.assert_array_equal(padded[:, :, :9, :9], want)
    assert not padded[:, :, 9:].any() and not padded[:, :, :, 9:].any()


def test_board_policy_cuts_padding():
    padded = np.arange(19 * 19 + 1, dtype=np.float32)
    cut = F.board_policy(padded, 9, 7, 19)
    assert cut.shape == (64,)
    assert cut[9] == 19 and cut[-1] == 361 and cut[8] == 8


@pytest.mark.parametrize("k", range(8))
def test_symmetry_round_trip_rectangular(k):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((3, 5, 7))
    y = apply_symmetry_planes(x, k)
    assert y.shape == ((3, 7, 5) if k & 4 else (3, 5, 7))
    assert np.array_equal(inverse_symmetry_planes(y, k), x)
    pol = rng.standard_normal(5 * 7 + 1)
    moved = apply_symmetry_policy(pol, k, 7, 5)
    assert moved[-1] == pol[-1]
    assert np.array_equal(inverse_symmetry_policy(moved, k, 7, 5), pol)
    assert inverse_symmetry(inverse_symmetry(k)) == k


@pytest.mark.parametrize("k", range(8))
def test_symmetry_policy_matches_planes(k):
    onehot = np.zeros((5, 7))
    onehot[1, 4] = 1.0
    pol = np.append(onehot.reshape(-1), 0.0)
    assert np.array_equal(apply_symmetry_policy(pol, k, 7, 5)[:-1],
                          apply_symmetry_planes(onehot, k).reshape(-1))
    perm = move_permutation(k, 7, 5)
    assert np.array_equal(apply_symmetry_policy(pol, k, 7, 5), pol[perm])


@pytest.mark.parametrize("k", [1, 4, 6, 7])
def test_features_are_equivariant(k):
    """Playing the transformed game gives the transformed planes."""
    moves = ["C3", "D4", "C4", "D3", "D5", "C5", "B5", "E4"]
    perm = move_permutation(k, 9, 9)
    image = np.argsort(perm)                                    # old move -> new index
    g, gk = Game(9), Game(9)
    for v in moves:
        m = coords.from_gtp(v, 9, 9)
        g.play(m)
        gk.play(int(image[m]))
    planes, glob = F.encode(Position.from_game(g))
    planes_k, glob_k = F.encode(Position.from_game(gk))
    assert np.array_equal(apply_symmetry_planes(planes, k), planes_k)
    assert np.array_equal(glob, glob_k)


def test_symmetry_bad_input():
    with pytest.raises(SymmetryError):
        apply_symmetry_planes(np.zeros((3, 3)), 8)
    with pytest.raises(SymmetryError):
        apply_symmetry_policy(np.zeros(11), 0, 3, 3)
