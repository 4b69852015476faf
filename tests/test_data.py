"""SGF records to shards: targets match the moves, skips are counted, resume, archives."""

from __future__ import annotations

import random
import tarfile
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from engine.board import BLACK, WHITE
from engine.evaluation import Position
from engine.features import encode
from engine.game import Game
from engine.playout import random_move
from engine.scoring import tromp_taylor_score
from engine.sgf import game_to_sgf, load_sgf
from engine.symmetry import move_permutation
from nets.data import (DataSettings, SkipGame, convert, game_rows, parse_result,
                       tromp_taylor_ownership)
from nets.cli import data_group
from nets.shards import ShardSet, list_shards, load_shard


def random_game(seed: int, size: int = 7, komi: float = 7.0, max_moves: int = 200) -> Game:
    """A random game (no own-eye filling) played until two passes: Tromp-Taylor scorable."""
    rng = random.Random(seed)
    game = Game(size, rules="chinese", komi=komi)
    while not game.is_over() and len(game.moves) < max_moves:
        mask = game.legal_mask()
        move = random_move(game.board, game.to_play, rng, legal=lambda p: bool(mask[p]))
        game.play(move if rng.random() > 0.02 else game.board.pass_move)
    return game


def random_game_sgf(seed: int, size: int = 7) -> bytes:
    """SGF bytes of ``random_game`` with its Tromp-Taylor result in RE."""
    game = random_game(seed, size)
    margin = tromp_taylor_score(game.board, game.komi)
    result = ("B+" if margin > 0 else "W+") + f"{abs(margin):g}"
    return game_to_sgf(game, result=result)


def write_games(directory, n: int, size: int = 7, first_seed: int = 0) -> list:
    """Write n random SGF games into directory; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = directory / f"g{first_seed + i:03d}.sgf"
        p.write_bytes(random_game_sgf(first_seed + i, size))
        paths.append(p)
    return paths


def test_parse_result():
    assert parse_result("B+3.5") == (BLACK, 3.5)
    assert parse_result("W+R") == (WHITE, None)
    assert parse_result("w+Resign") == (WHITE, None)
    assert parse_result("0") == (0, 0.0)
    assert parse_result("Draw") == (0, 0.0)
    for bad in ("", "?", "Void", "X+3"):
        with pytest.raises(SkipGame):
            parse_result(bad)


def test_rows_match_the_moves():
    data = random_game_sgf(1)
    game = load_sgf(data)
    rows = game_rows(data)
    assert len(rows) == len(game.moves)
    margin = float(game.record.result[2:])
    winner = BLACK if game.record.result[0] == "B" else WHITE
    own = tromp_taylor_ownership(game.board)
    replay = Game(7, rules="chinese", komi=7.0)
    for row, (color, move) in zip(rows, game.moves):
        assert int(np.argmax(row["policy"])) == move and row["policy"].sum() == 1.0
        assert row["value"] == winner * color
        assert row["score"] == margin * winner * color and row["score_valid"]
        assert row["ownership_valid"]
        np.testing.assert_array_equal(row["ownership"], own * color)
        planes, glob = encode(Position.from_game(replay))
        np.testing.assert_array_equal(row["planes"], planes)
        np.testing.assert_array_equal(row["globals_"], glob)
        replay.play(move, color)


def test_resigned_game_has_no_score_or_ownership():
    game = random_game(2)
    rows = game_rows(game_to_sgf(game, result="W+R"))
    assert not any(r["score_valid"] or r["ownership_valid"] for r in rows)
    assert rows[0]["value"] == -1.0 and rows[1]["value"] == 1.0  # black moved first, lost


def test_sgf_to_shards_round_trip(tmp_path):
    paths = write_games(tmp_path / "sgf", 4)
    prog = convert([tmp_path / "sgf"], tmp_path / "out", DataSettings(positions_per_shard=100),
                   progress_bar=False)
    shards = [load_shard(p) for p in list_shards(tmp_path / "out")]
    policy = np.concatenate([s.arrays["policy"] for s in shards])
    moves = [m for p in paths for _, m in load_sgf(p.read_bytes()).moves]
    assert prog.games == 4 and prog.positions == len(moves) == len(policy)
    assert list(np.argmax(policy, 1)) == moves
    assert all(s.arrays["ownership_valid"].all() for s in shards)


def test_symmetries_consistent_with_features(tmp_path):
    """A shard row under symmetry k equals the features of the k-transformed game."""
    (tmp_path / "sgf").mkdir()
    (tmp_path / "sgf" / "g.sgf").write_bytes(random_game_sgf(3))
    convert([tmp_path / "sgf"], tmp_path / "out", progress_bar=False)
    game = load_sgf((tmp_path / "sgf" / "g.sgf").read_bytes())
    shards = ShardSet(list_shards(tmp_path / "out"))
    for k in range(8):
        inverse = np.argsort(move_permutation(k, 7, 7))  # original move -> transformed move
        g = Game(7, rules="chinese", komi=7.0)
        for t, (color, move) in enumerate(game.moves[:30]):
            sample = shards.sample(0, t, k)
            planes, _ = encode(Position.from_game(g))
            np.testing.assert_array_equal(sample["planes"], planes)
            assert int(np.argmax(sample["policy"])) == inverse[move]
            g.play(int(inverse[move]), color)
        final = tromp_taylor_ownership(load_sgf(random_game_sgf(3)).board)
        np.testing.assert_array_equal(shards.sample(0, 0, k)["ownership"],
                                      _apply(final, k) * BLACK)


def _apply(arr, k):
    from engine.symmetry import apply_symmetry_planes
    return apply_symmetry_planes(arr.astype(np.float32), k)


def test_broken_games_are_skipped_and_counted(tmp_path):
    d = tmp_path / "sgf"
    write_games(d, 2)
    (d / "broken.sgf").write_bytes(b"(;GM[1]SZ[9];B[ee]")
    (d / "noresult.sgf").write_bytes(random_game_sgf(5).replace(b"RE[", b"XX["))
    (d / "illegal.sgf").write_bytes(b"(;GM[1]SZ[9]RE[B+1];B[ee];W[ee]" + b";B[aa];W[bb]" * 5 + b")")
    (d / "short.sgf").write_bytes(b"(;GM[1]SZ[9]RE[B+1];B[ee];W[ff])")
    (d / "chess.sgf").write_bytes(b"(;GM[3];B[ee])")
    prog = convert([d], tmp_path / "out", progress_bar=False)
    assert prog.games == 2
    assert dict(prog.skipped) == {"malformed SGF": 1, "no result": 1, "illegal move": 1,
                                  "too short": 1, "not a Go game": 1}


def test_archives_and_resume(tmp_path):
    paths = write_games(tmp_path / "sgf", 3)
    zpath = tmp_path / "games.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in paths[:2]:
            zf.write(p, p.name)
    tpath = tmp_path / "games.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        tf.add(paths[2], paths[2].name)
    out = tmp_path / "out"
    first = convert([zpath], out, DataSettings(positions_per_shard=1), progress_bar=False)
    assert first.games == 2 and len(list_shards(out)) == 2
    again = convert([zpath, tpath], out, DataSettings(positions_per_shard=1), progress_bar=False)
    assert again.games == 3 and len(list_shards(out)) == 3  # zip games not read twice
    total = sum(len(load_shard(p)) for p in list_shards(out))
    assert total == again.positions == sum(len(load_sgf(p.read_bytes()).moves) for p in paths)


def test_cli_from_sgf(tmp_path):
    write_games(tmp_path / "sgf", 2)
    res = CliRunner().invoke(data_group, ["from-sgf", str(tmp_path / "sgf"), "--out",
                                          str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "games used: 2" in res.output
    assert len(list_shards(tmp_path / "out")) == 1
    bad = CliRunner().invoke(data_group, ["from-sgf", str(tmp_path / "missing"), "--out", "x"])
    assert bad.exit_code != 0
