"""GNU Go self-play records: complete, legal, scored games that convert into shards."""

from __future__ import annotations

from click.testing import CliRunner

from engine.scoring import tromp_taylor_score
from engine.sgf import load_sgf_file
from nets.data import convert, parse_result
from nets.cli import data_group


def test_gnugo_games_are_played_out_and_convert(tmp_path):
    res = CliRunner().invoke(data_group, ["gnugo-games", "--games", "2", "--out",
                                          str(tmp_path / "sgf"), "--seed", "3"])
    assert res.exit_code == 0, res.output
    files = sorted((tmp_path / "sgf").glob("*.sgf"))
    assert len(files) == 2
    for f in files:
        game = load_sgf_file(f)  # every move legal for our own rules engine
        assert game.is_over() and game.komi == 7.0 and game.width == 9
        winner, margin = parse_result(game.record.result)
        assert margin is not None  # played out, not resigned
        assert tromp_taylor_score(game.board, game.komi) == winner * margin
    again = CliRunner().invoke(data_group, ["gnugo-games", "--games", "2", "--out",
                                            str(tmp_path / "sgf"), "--seed", "3"])
    assert "wrote 0 games" in again.output  # resumable: existing games are kept
    prog = convert([tmp_path / "sgf"], tmp_path / "shards", progress_bar=False)
    assert prog.games == 2 and not prog.skipped
