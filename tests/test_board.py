"""Board rules drawn as ASCII boards in GTP coordinates (X black, O white)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.board import BLACK, EMPTY, WHITE, Board, IllegalMoveError
from tests.conftest import at


def play(board: Board, color: int, vertex: str) -> int:
    """Play a GTP vertex; returns the number of stones captured."""
    return board.play(at(board, vertex), color)


def snapshot(board: Board) -> tuple:
    """Everything a failed move must leave unchanged."""
    return (list(board.stones), board.hash, board.to_play, board.ko_point,
            dict(board.captures), board.passes, board.move_number, board.chains())


def test_single_capture_updates_counts_hash_and_liberties():
    """Taking the last liberty removes the stone and credits the capturer."""
    b = Board.from_ascii("""
        . X . . .
        X O X . .
        . . . . .
        . . . . .
        . . . . .
    """)
    assert b.liberty_count(at(b, "B4")) == 1
    assert play(b, BLACK, "B3") == 1
    assert b.stones[at(b, "B4")] == EMPTY
    assert b.captures == {BLACK: 1, WHITE: 0}
    assert b.hash == b.recount_hash()
    assert b.liberty_count(at(b, "A4")) == 3  # A5, A3 and the emptied B4


def test_multi_stone_capture_of_two_chains_at_once():
    """One stone can capture two separate chains."""
    b = Board.from_ascii("""
        O X . . .
        O X . . .
        . O X . .
        X O X . .
        . X . . .
    """)
    # A5-A4 (two stones) have one liberty A3; B3-B2 (two stones) have one liberty A3 too.
    assert play(b, BLACK, "A3") == 4
    assert b.to_ascii().split("\n")[1:6] == [
        " 5 . X . . .  5",
        " 4 . X . . .  4",
        " 3 X . X . .  3",
        " 2 X . X . .  2",
        " 1 . X . . .  1",
    ]
    assert b.captures[BLACK] == 4


SNAPBACK = """
   A B C D E
 5 . . . . .  5
 4 X X X X X  4
 3 X O O O X  3
 2 X O . . X  2
 1 X O O O X  1
   A B C D E
"""


def test_snapback():
    """The throw-in is captured, then the capturing chain is taken back at once."""
    b = Board.from_ascii(SNAPBACK)
    assert play(b, BLACK, "C2") == 0  # throw-in, self-atari
    assert b.liberty_count(at(b, "B2")) == 1
    assert play(b, WHITE, "D2") == 1  # white takes the single stone
    assert b.ko_point == -1  # the capturing stone joined a chain: no ko
    assert play(b, BLACK, "C2") == 8  # snapback: all eight white stones
    assert b.captures == {BLACK: 8, WHITE: 1}
    assert b.hash == b.recount_hash()


KO = """
   A B C D E
 5 . . . . .  5
 4 . X O . .  4
 3 X O . O .  3
 2 . X O . .  2
 1 . . . . .  1
   A B C D E
"""


def test_simple_ko_forbids_immediate_recapture_only():
    """After a ko capture the recapture is illegal until a move elsewhere."""
    b = Board.from_ascii(KO)
    assert play(b, BLACK, "C3") == 1
    assert b.ko_point == at(b, "B3")
    assert b.illegal_reason(at(b, "B3"), WHITE) == "ko"
    assert not b.legal_mask(WHITE)[at(b, "B3")]
    before = snapshot(b)
    with pytest.raises(IllegalMoveError, match="ko"):
        play(b, WHITE, "B3")
    assert snapshot(b) == before
    play(b, WHITE, "E5")
    play(b, BLACK, "E1")
    assert play(b, WHITE, "B3") == 1  # legal again after the exchange


def test_pass_clears_ko_and_counts_passes():
    """A pass ends the ko ban and two passes are counted."""
    b = Board.from_ascii(KO)
    play(b, BLACK, "C3")
    b.play(b.pass_move, WHITE)
    b.play(b.pass_move, BLACK)
    assert b.passes == 2 and b.ko_point == -1
    assert b.is_legal(at(b, "B3"), WHITE)


SUICIDE = """
   A B C D
 4 . O . .  4
 3 O . O .  3
 2 X O . .  2
 1 . X O .  1
   A B C D
"""


def test_suicide_is_illegal_by_default_both_single_and_multi_stone():
    """A single stone or a chain may not kill itself under the default rules."""
    b = Board.from_ascii(SUICIDE)
    before = snapshot(b)
    with pytest.raises(IllegalMoveError, match="suicide"):
        play(b, BLACK, "B3")  # single stone, no liberties
    with pytest.raises(IllegalMoveError, match="suicide"):
        play(b, BLACK, "A1")  # joins A2 and B1, the chain has no liberties
    assert snapshot(b) == before
    assert not b.legal_mask(BLACK)[at(b, "A1")]
    assert b.legal_mask(WHITE)[at(b, "A1")]  # white capturing there is fine


def test_multi_stone_suicide_allowed_under_suicide_rules():
    """With suicide allowed the chain is removed and the opponent gets the stones."""
    b = Board.from_ascii(SUICIDE, suicide_allowed=True)
    expected = b.hash_after(at(b, "A1"), BLACK)
    assert play(b, BLACK, "A1") == 0
    assert [b.stones[at(b, v)] for v in ("A1", "A2", "B1")] == [EMPTY] * 3
    assert b.captures == {BLACK: 0, WHITE: 3}
    assert b.hash == expected == b.recount_hash()
    with pytest.raises(IllegalMoveError, match="suicide"):
        play(b, BLACK, "B3")  # a lone stone's suicide stays illegal: it changes nothing


def test_capture_beats_suicide():
    """A move with no liberties of its own is legal when it captures."""
    b = Board.from_ascii("""
        . X O .
        X O . O
        . X O .
        . . . .
    """)
    assert b.is_legal(at(b, "C3"), BLACK)
    assert play(b, BLACK, "C3") == 1


@pytest.mark.parametrize("move,color,pattern", [
    (26, BLACK, "off"), (-1, BLACK, "off"), ("D4", BLACK, "off"), (3.0, BLACK, "off"),
    (0, 2, "color"), (0, "black", "color"),
])
def test_bad_input_raises_named_error_and_changes_nothing(move, color, pattern):
    """Off-board points and wrong colours raise IllegalMoveError; the board is untouched."""
    b = Board(5)
    b.play(12)
    before = snapshot(b)
    with pytest.raises(IllegalMoveError, match=pattern):
        b.play(move, color)
    assert snapshot(b) == before


def test_occupied_point_is_rejected():
    """Playing on a stone raises IllegalMoveError('occupied') and changes nothing."""
    b = Board(5)
    b.play(12)
    before = snapshot(b)
    with pytest.raises(IllegalMoveError, match="occupied"):
        b.play(12, WHITE)
    assert snapshot(b) == before


def test_legal_mask_matches_is_legal_everywhere():
    """The mask and the per-point test agree for both colours, pass included."""
    b = Board.from_ascii(SUICIDE)
    for color in (BLACK, WHITE):
        mask = b.legal_mask(color)
        assert mask.shape == (b.area + 1,) and mask.dtype == np.bool_
        assert mask[-1]
        assert list(mask[:-1]) == [b.is_legal(p, color) for p in range(b.area)]


def test_copy_is_independent():
    """Playing on a copy leaves the original as it was."""
    b = Board.from_ascii(KO)
    before = snapshot(b)
    c = b.copy()
    assert play(c, BLACK, "C3") == 1
    assert snapshot(b) == before
    assert c.stones != b.stones


def test_eye_detection():
    """True eyes, false eyes and edge eyes."""
    b = Board.from_ascii("""
        . X . X .
        X X X X O
        X . X . X
        X X X X O
        . X . . .
    """)
    assert b.is_eye(at(b, "A5"), BLACK)  # corner eye
    assert b.is_eye(at(b, "C5"), BLACK)  # edge eye
    assert b.is_eye(at(b, "B3"), BLACK)
    assert not b.is_eye(at(b, "D3"), BLACK)  # two white diagonals: false eye
    assert not b.is_eye(at(b, "B3"), WHITE)
    assert not b.is_eye(at(b, "C1"), BLACK)  # D1 is empty, not black


@pytest.mark.parametrize("width,height", [(19, 19), (25, 25), (7, 3), (2, 2)])
def test_ascii_round_trip(width, height):
    """from_ascii reads what to_ascii writes, column letters O and X included."""
    b = Board(width, height)
    b.play(0, BLACK)
    b.play(width * height - 1, WHITE)
    c = Board.from_ascii(b.to_ascii())
    assert (c.width, c.height, c.stones, c.hash) == (width, height, b.stones, b.hash)


@pytest.mark.parametrize("text", ["", "X O\nX", "O X\nX .", "x\n"])
def test_from_ascii_rejects_bad_boards(text):
    """Empty, ragged, liberty-less or too-small boards raise ValueError."""
    with pytest.raises(ValueError):
        Board.from_ascii(text)


def test_hash_after_predicts_the_hash():
    """hash_after equals the hash after playing, with and without captures."""
    b = Board.from_ascii(SNAPBACK)
    for vertex, color in (("C2", BLACK), ("D2", WHITE), ("C2", BLACK), ("A5", WHITE)):
        p = at(b, vertex)
        predicted = b.hash_after(p, color)
        b.play(p, color)
        assert b.hash == predicted == b.recount_hash()


def test_place_stone_rejects_captures_and_occupied_points():
    """Setup stones may not capture, lack liberties or sit on a stone."""
    b = Board.from_ascii("""
        . X .
        X O .
        . X .
    """)
    with pytest.raises(IllegalMoveError):
        b.place_stone(at(b, "C2"), BLACK)  # would capture B2
    with pytest.raises(IllegalMoveError):
        b.place_stone(at(b, "B2"), BLACK)
    b.place_stone(at(b, "C2"), WHITE)
    assert b.liberty_count(at(b, "B2")) == 2 and b.to_play == BLACK


def test_legal_masks_of_a_batch_match_each_boards_legal_mask():
    """The vectorised batch version agrees with Board.legal_mask (suicide, ko, edges, crowded boards)."""
    import random

    from engine.legal import legal_masks
    rng = random.Random(5)
    kos = 0
    for (width, height), suicide in (((5, 5), False), ((7, 7), True), ((9, 9), False), ((7, 4), False)):
        boards = []
        for _ in range(12):   # every position of random games, so kos and crowded boards come up
            b = Board(width, height, suicide_allowed=suicide)
            for _ in range(width * height * 2):
                legal = np.flatnonzero(b.legal_mask()[:-1]).tolist()
                if not legal:
                    break
                b.play(rng.choice(legal))
                boards.append(b.copy())
        expected = np.stack([b.legal_mask() for b in boards])
        for start in range(0, len(boards), 16):   # batches as the evaluator makes them
            assert (legal_masks(boards[start:start + 16]) == expected[start:start + 16]).all()
        assert (~expected[:, :-1]).any()   # the boards are crowded enough to have illegal points
        kos += sum(b.ko_point >= 0 and b.ko_color == b.to_play for b in boards)
    assert kos > 0
