"""Property tests (hypothesis): random legal sequences keep every board invariant.

After any legal sequence, on boards from 2x2 to 7x7 (rectangular too) and
under every rule preset (suicide allowed or not, each ko rule): every chain
has a liberty, the incremental chains and liberties equal a from-scratch
flood fill, the Zobrist hash equals a from-scratch hash (and ``hash_after``
predicted it), the legal mask agrees with ``is_legal``, and undo restores the
exact previous state.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.board import Board
from engine.game import Game
from engine.rules import PRESETS

SETTINGS = settings(max_examples=200, deadline=None)
games = st.fixed_dictionaries({
    "width": st.integers(2, 7),
    "height": st.integers(2, 7),
    "rules": st.sampled_from(sorted(PRESETS)),
    "picks": st.lists(st.integers(0, 2**20), max_size=120),
})


def full_state(game: Game) -> tuple:
    """Everything undo must restore."""
    b = game.board
    return (list(b.stones), b.hash, b.to_play, b.ko_point, b.ko_color, dict(b.captures),
            b.passes, b.move_number, chain_set(b), list(game.moves), dict(game.seen_positions))


def chain_set(board: Board) -> set:
    """The incremental chains as a set of (colour, stones, liberties)."""
    return {(c, frozenset(s), frozenset(libs)) for c, s, libs in board.chains()}


def check_board(board: Board) -> None:
    """Every invariant of a single position."""
    recount = board.recount_chains()
    assert chain_set(board) == set(recount.values())
    assert all(libs for _, _, libs in recount.values())
    for p, (_, stones, libs) in recount.items():
        assert set(board.group_stones(p)) == stones
        assert board.liberty_count(p) == len(libs)
    assert board.hash == board.recount_hash()


def play_random(game: Game, picks: list[int]) -> list[tuple]:
    """Play legal moves chosen by picks, checking as we go; returns the states passed."""
    states = []
    for pick in picks:
        mask = game.legal_mask()
        legal = np.flatnonzero(mask)
        move = int(legal[pick % len(legal)])
        assert game.is_legal(move)
        predicted = game.board.hash_after(move)
        states.append(full_state(game))
        game.play(move)
        assert game.board.hash == predicted
        check_board(game.board)
    return states


@SETTINGS
@given(games)
def test_invariants_hold_after_any_legal_sequence(spec):
    """Liberties, chains and hash stay equal to a from-scratch recount."""
    game = Game(spec["width"], spec["height"], rules=spec["rules"])
    play_random(game, spec["picks"])


@SETTINGS
@given(games)
def test_undo_restores_the_exact_previous_state(spec):
    """Undoing every move walks back through exactly the states played through."""
    game = Game(spec["width"], spec["height"], rules=spec["rules"])
    states = play_random(game, spec["picks"])
    for expected in reversed(states):
        game.undo()
        assert full_state(game) == expected
        check_board(game.board)


@SETTINGS
@given(games)
def test_legal_mask_agrees_with_is_legal(spec):
    """The game's mask equals is_legal point by point at the end of any sequence."""
    game = Game(spec["width"], spec["height"], rules=spec["rules"])
    play_random(game, spec["picks"])
    mask = game.legal_mask()
    assert mask[-1]
    assert list(mask[:-1]) == [game.is_legal(p) for p in range(game.board.area)]
    copy = game.copy()
    if game.moves:
        before = full_state(game)
        copy.undo()
        assert full_state(game) == before
