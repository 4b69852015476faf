"""Cross-check the rules core against GNU Go 3.8 (the oracle) over GTP.

240 random legal games (160 on 9x9, 50 on 13x13, 30 on 19x19) are played in
lockstep by zerogo and GNU Go (``--chinese-rules``). After every move the
stones (``list_stones``) and capture counts (``captures``) must agree; on
sampled positions legality (``is_legal``) must agree at every empty point for
both colours; at the end, after two passes, GNU Go's ``final_score`` must equal
zerogo's Tromp-Taylor area score. Both sides use simple ko and no suicide.

The random policy plays a random legal move that does not fill its own true
eye, and passes when there is none, so the game ends on a settled board with
no dead stones.
"""

from __future__ import annotations

import random

import pytest

from engine import coords, scoring
from engine.board import BLACK, WHITE
from engine.game import Game
from engine.playout import random_move
from engine.rules import AREA, HANDICAP_NONE, SIMPLE_KO, Rules
from tests.gnugo import GnuGo

KOMI = 7.5
GNUGO_RULES = Rules("gnugo-check", SIMPLE_KO, AREA, False, KOMI, HANDICAP_NONE)
BATCH = 10
# (board size, number of batches of BATCH games): 160 + 50 + 30 = 240 games.
MIX = {9: 16, 13: 5, 19: 3}
CASES = [(size, batch) for size, batches in MIX.items() for batch in range(batches)]
COLOR_WORD = {BLACK: "black", WHITE: "white"}


def vertices(game: Game, color: int) -> set[str]:
    """GTP vertices of the stones of one colour on zerogo's board."""
    w, h = game.width, game.height
    return {coords.to_gtp(p, w, h) for p, s in enumerate(game.board.stones) if s == color}


def check_stones_and_captures(gnugo: GnuGo, game: Game, move_text: str) -> None:
    """Play one move on GNU Go and compare stones and capture counts with zerogo."""
    replies = gnugo.send_many([
        move_text, "list_stones black", "list_stones white", "captures black", "captures white",
    ])
    where = f"after {move_text!r} (move {len(game.moves)})\n{game.board}"
    assert set(replies[1].split()) == vertices(game, BLACK), where
    assert set(replies[2].split()) == vertices(game, WHITE), where
    assert int(replies[3]) == game.board.captures[BLACK], where
    assert int(replies[4]) == game.board.captures[WHITE], where


def check_legality(gnugo: GnuGo, game: Game) -> int:
    """Compare is_legal at every empty point for both colours; returns points checked."""
    w, h = game.width, game.height
    empty = [p for p, s in enumerate(game.board.stones) if s == 0]
    queries = [(c, p) for c in (BLACK, WHITE) for p in empty]
    replies = gnugo.send_many(
        [f"is_legal {COLOR_WORD[c]} {coords.to_gtp(p, w, h)}" for c, p in queries]
    )
    for (c, p), reply in zip(queries, replies):
        ours = game.is_legal(p, c)
        assert (reply == "1") == ours, (
            f"is_legal {COLOR_WORD[c]} {coords.to_gtp(p, w, h)}: GNU Go {reply}, zerogo {ours}"
            f"\n{game.board}"
        )
    return len(queries)


def parse_score(text: str) -> float:
    """GTP final_score text (``B+3.0``, ``W+0.5``, ``0``) as black minus white."""
    if text == "0":
        return 0.0
    sign = 1.0 if text[0].upper() == "B" else -1.0
    return sign * float(text[2:])


def play_lockstep(gnugo: GnuGo, size: int, seed: int) -> dict:
    """Play one random game on both engines, checking as we go; returns a summary."""
    rng = random.Random(seed)
    game = Game(size, rules=GNUGO_RULES)
    gnugo.send_many([f"boardsize {size}", "clear_board", f"komi {KOMI}"])
    cap, legal_checks = 3 * size * size, 0
    sample_every = rng.randint(7, 13)
    while not game.is_over() and len(game.moves) < cap:
        color = game.to_play
        mask = game.legal_mask()
        move = random_move(game.board, game.to_play, rng, legal=lambda p: bool(mask[p]))
        game.play(move)
        vertex = coords.to_gtp(move, size, size)
        check_stones_and_captures(gnugo, game, f"play {COLOR_WORD[color]} {vertex}")
        if len(game.moves) % sample_every == 0:
            legal_checks += check_legality(gnugo, game)
    assert game.is_over(), f"seed {seed}: no two passes within {cap} moves"
    theirs = parse_score(gnugo.send("final_score"))
    ours = scoring.tromp_taylor_score(game.board, KOMI)
    assert theirs == ours, f"seed {seed}: GNU Go {theirs}, zerogo {ours}\n{game.board}"
    return {"moves": len(game.moves), "legal_checks": legal_checks}


@pytest.mark.slow
@pytest.mark.parametrize("size,batch", CASES)
def test_random_games_agree_with_gnugo(size, batch):
    """A batch of random games agrees with GNU Go move by move and in the final score."""
    with GnuGo("--chinese-rules") as gnugo:
        summaries = [
            play_lockstep(gnugo, size, seed=size * 1000 + batch * BATCH + i)
            for i in range(BATCH)
        ]
    assert sum(s["legal_checks"] for s in summaries) > 0
    assert all(s["moves"] >= size for s in summaries)


def test_game_mix_has_at_least_200_games():
    """The parametrised mix really plays at least 200 games across three sizes."""
    assert sum(BATCH * n for n in MIX.values()) >= 200
    assert set(MIX) == {9, 13, 19}
