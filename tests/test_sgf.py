"""SGF load and save through sgfmill: properties, handicap, round trips, bad files."""

from __future__ import annotations

import logging

import pytest

from engine import coords
from engine.board import BLACK, WHITE
from engine.sgf import SgfError, game_to_sgf, load_sgf, load_sgf_file, save_sgf_file
from tests.conftest import at

HANDICAP_GAME = (b"(;GM[1]FF[4]SZ[9]KM[0.5]RU[Japanese]HA[2]AB[cc][gg]PB[Black Bot]"
                 b"PW[White Bot]RE[W+R]DT[2024-01-01];W[ee];B[dd];W[];B[ef])")


def test_load_reads_every_property():
    """Size, komi, rules, handicap stones, moves, result and players."""
    game = load_sgf(HANDICAP_GAME)
    assert (game.width, game.height, game.komi, game.rules.name) == (9, 9, 0.5, "japanese")
    assert game.handicap == 2
    assert {p for c, p in game.setup_stones if c == BLACK} == {at(game, "C7"), at(game, "G3")}
    assert game.moves == [(WHITE, at(game, "E5")), (BLACK, at(game, "D6")),
                          (WHITE, game.board.pass_move), (BLACK, at(game, "E4"))]
    assert game.record.result == "W+R"
    assert (game.record.black_player, game.record.white_player) == ("Black Bot", "White Bot")
    assert game.record.extra["DT"] == "2024-01-01"


def test_round_trip_keeps_game_and_comments():
    """Saving and loading again gives the same game; comments land on their moves."""
    game = load_sgf(HANDICAP_GAME)
    data = game_to_sgf(game, result="B+1.5", comments={0: "root", 2: "visits 800"})
    assert b";B[dd]C[visits 800];" in data.replace(b"\n", b"")
    assert b"C[root]" in data
    again = load_sgf(data)
    assert again.moves == game.moves and again.board.stones == game.board.stones
    assert again.setup_stones and again.handicap == 2 and again.komi == 0.5
    assert again.rules.name == "japanese" and again.record.result == "B+1.5"
    assert again.to_play == game.to_play


def test_rectangular_board_round_trip():
    """SZ[w:h] is read and written even though sgfmill itself knows only squares."""
    game = load_sgf("(;GM[1]SZ[7:5];B[aa];W[ge];B[ae])")
    assert (game.width, game.height) == (7, 5)
    assert [m for _, m in game.moves] == [at(game, "A5"), at(game, "G1"), at(game, "A1")]
    data = game_to_sgf(game)
    assert b"SZ[7:5]" in data
    assert load_sgf(data).board.stones == game.board.stones


def test_captures_and_max_moves():
    """Captures are replayed; max_moves stops early."""
    sgf = b"(;SZ[5];B[ba];W[aa];B[ab])"
    game = load_sgf(sgf)
    assert game.board.captures[BLACK] == 1 and game.board.stones[0] == 0
    assert len(load_sgf(sgf, max_moves=2).moves) == 2


def test_handicap_without_stones_uses_fixed_points_and_setup_stones_without_handicap():
    """HA without AB places GTP's fixed points; AB/AW alone are plain setup."""
    game = load_sgf(b"(;SZ[19]HA[4]KM[0.5])")
    assert game.handicap == 4 and game.to_play == WHITE
    assert {coords.to_gtp(p, 19, 19) for _, p in game.setup_stones} == {"D4", "Q16", "D16", "Q4"}
    setup = load_sgf(b"(;SZ[9]AB[aa]AW[bb]PL[W])")
    assert setup.handicap == 0 and setup.to_play == WHITE and len(setup.setup_stones) == 2


def test_unknown_rules_fall_back_to_chinese_with_a_warning(caplog):
    """An unknown RU value plays under chinese rules and says so in the log."""
    with caplog.at_level(logging.WARNING, logger="engine.sgf"):
        game = load_sgf(b"(;SZ[9]RU[Martian])")
    assert game.rules.name == "chinese" and "Martian" in caplog.text


@pytest.mark.parametrize("data,pattern", [
    (b"garbage", "malformed"),
    (b"(;SZ[9];B[aa", "malformed"),
    (b"(;GM[2]SZ[9])", "not a Go"),
    (b"(;SZ[30])", "size"),
    (b"(;SZ[x])", "SZ"),
    (b"(;SZ[9]KM[lots])", "KM"),
    (b"(;SZ[9];B[zz])", "move 1"),
    (b"(;SZ[9];B[aa];W[aa])", "move 2"),
    (b"(;SZ[5];B[bb];W[cb];B[ac];W[dc];B[bd];W[cd];B[ea];W[bc];B[cc];W[bc])", "move 10.*ko"),
    (b"(;SZ[5];B[ba];W[aa];B[ab];W[aa])", "move 4.*suicide"),
    (b"(;SZ[9]AB[aa]AW[ab][ba])", "setup"),
    (b"(;SZ[9];B[aa];AB[cc])", "setup"),
    (b"(;SZ[5]HA[3])", "handicap"),
])
def test_bad_files_raise_sgf_error(data, pattern):
    """Malformed, unsupported or illegal files raise SgfError with a clear message."""
    with pytest.raises(SgfError, match=pattern):
        load_sgf(data)


def test_files_on_disk(tmp_path):
    """save_sgf_file / load_sgf_file round trip; a missing file is an SgfError."""
    game = load_sgf(HANDICAP_GAME)
    path = tmp_path / "g.sgf"
    save_sgf_file(game, path)
    assert load_sgf_file(path).moves == game.moves
    with pytest.raises(SgfError, match="cannot read"):
        load_sgf_file(tmp_path / "missing.sgf")


def test_sgf_error_is_a_value_error():
    """Callers catching ValueError also catch SgfError."""
    assert issubclass(SgfError, ValueError)
