"""Disputed scores are played out (kgs-genmove_cleanup, or zerogo's clean-up) and counted by Tromp-Taylor."""

from __future__ import annotations

import shutil
import sys

from sgfmill import sgf

from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Game
from gtp.match.client import GtpClient
from gtp.match.referee import MatchConfig, play_game
from gtp.match.playout import play_out
from tests.test_match import FAKE

GNUGO = shutil.which("gnugo") or "/usr/games/gnugo"
GNUGO_CMD = f"{GNUGO} --mode gtp --level 1 --chinese-rules"


def fake(mode: str) -> str:
    """Command line of the scripted test engine."""
    return f"{sys.executable} {FAKE} {mode}"


def test_differing_claims_are_settled_by_both_engines_clean_up(tmp_path):
    config = MatchConfig(fake("cleanup-claim:B+5"), fake("cleanup-claim:W+5"), games=1, size=9, komi=7.5,
                         sgf_dir=str(tmp_path))
    out = play_game(config, 0)
    assert out.reason == "score" and out.agreed is False
    assert out.scores["black_engine"] == "B+5" and out.scores["white_engine"] == "W+5"
    assert out.scores["played_out_by"] == "kgs-genmove_cleanup"
    assert out.scores["played_out"] == out.result == "W+7.5" and out.winner == "W"   # empty board, komi
    assert out.playout_moves == 2 and out.moves == 2
    root = sgf.Sgf_game.from_bytes(open(out.sgf, "rb").read()).get_root()
    assert root.get("RE") == "W+7.5" and "played_out" in root.get("C")


def test_the_same_non_score_from_both_engines_is_no_agreement(tmp_path):
    """Two engines answering final_score with the same nonsense ("1") have not agreed on a result."""
    config = MatchConfig(fake("cleanup-claim:1"), fake("cleanup-claim:1"), games=1, size=9, komi=7.5,
                         sgf_dir=str(tmp_path))
    out = play_game(config, 0)
    assert out.agreed is False and out.scores["black_engine"] == "? not a score: 1"
    assert out.result == out.scores["played_out"] == "W+7.5" and out.winner == "W"
    root = sgf.Sgf_game.from_bytes(open(out.sgf, "rb").read()).get_root()
    assert root.get("RE") == "W+7.5"


def test_an_engine_without_clean_up_gets_zerogos(tmp_path):
    config = MatchConfig(fake("claim:B+100"), GNUGO_CMD, games=1, size=9, komi=7.5, sgf_dir=str(tmp_path))
    out = play_game(config, 0)
    assert out.reason == "score" and out.agreed is False
    assert out.scores["played_out_by"] == "zerogo"
    # black never played a stone: the whole board is white's by any honest count
    assert out.result == out.scores["played_out"] == "W+88.5" and out.winner == "W"
    assert out.scores["white_engine"] == "W+88.5"


def test_gnugo_clean_up_captures_the_dead_stone_before_the_count():
    walls = [v for row in "123456789" for v in (f"D{row}", f"F{row}")]
    moves = walls + [f"E{row}" for row in "123456789"] + ["G5", "H5", "J1"]     # black H5 is dead
    game = Game(9, rules="chinese", komi=0.5)
    with GtpClient(GNUGO_CMD) as black, GtpClient(GNUGO_CMD) as white:
        for client in (black, white):
            client.send("boardsize 9")
            client.send("clear_board")
            client.send("komi 0.5")
        for i, v in enumerate(moves):
            color = BLACK if i % 2 == 0 else WHITE
            game.play(coords.from_gtp(v, 9, 9), color)
            for client in (black, white):
                client.send(f"play {coords.color_name(color)} {v}")
        played = play_out(game, {BLACK: black, WHITE: white})
    assert played.method == "kgs-genmove_cleanup" and played.detail == ""
    assert game.board.stones[coords.from_gtp("H5", 9, 9)] != BLACK      # taken off
    assert played.result == "B+0.5"           # as the area count with H5 dead said
    assert played.moves[-2:] == [(played.moves[-2][0], game.board.pass_move),
                                 (played.moves[-1][0], game.board.pass_move)]


def test_zerogo_clean_up_captures_the_dead_stone_when_an_engine_lacks_the_command():
    walls = [v for row in "123456789" for v in (f"D{row}", f"F{row}")]
    moves = walls + [f"E{row}" for row in "123456789"] + ["G5", "H5", "J1"]     # black H5 is dead
    game = Game(9, rules="chinese", komi=0.5)
    for i, v in enumerate(moves):
        game.play(coords.from_gtp(v, 9, 9), BLACK if i % 2 == 0 else WHITE)
    with GtpClient(fake("claim:B+5")) as black, GtpClient(GNUGO_CMD) as white:
        played = play_out(game, {BLACK: black, WHITE: white})
    assert played.method == "zerogo" and played.result == "B+0.5"
    assert game.board.stones[coords.from_gtp("H5", 9, 9)] != BLACK
    assert played.moves[-2:] == [(BLACK, game.board.pass_move), (WHITE, game.board.pass_move)]
