"""Teacher labels for recorded games (nets.relabel, ``zerogo data from-sgf --teacher``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from engine.evaluation import Position
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.sgf import load_sgf
from nets.cli import data_group
from nets.data import DataSettings, convert, game_rows
from nets.losses import compute_losses, to_torch
from nets.model import build_model
from nets.relabel import TeacherLabeller, TeacherSettings, legal_policy
from nets.shards import ShardSet, is_compact, list_shards, load_shard
from nets.train import TrainSettings
from tests.test_data import random_game_sgf, write_games


def _labeller(path, batch_size: int = 5) -> TeacherLabeller:
    return TeacherLabeller.load(TeacherSettings(str(path), threads=1, batch_size=batch_size))


def test_legal_policy_keeps_only_legal_moves():
    legal = np.array([True, False, True, True])
    p = legal_policy(np.array([0.5, 0.3, 0.2, 0.0]), legal)
    np.testing.assert_allclose(p, [0.5 / 0.7, 0.0, 0.2 / 0.7, 0.0])
    # nothing left on the legal moves: uniform over them
    np.testing.assert_allclose(legal_policy(np.array([0.0, 1.0, 0.0, 0.0]), legal), [1 / 3, 0, 1 / 3, 1 / 3])


def test_rows_carry_the_teachers_view_of_each_position(tiny_teacher):
    """Each row: the same features and result as without a teacher, the teacher's policy and evaluation."""
    data = random_game_sgf(4, size=7)
    plain = game_rows(data)
    labeller = _labeller(tiny_teacher)
    rows = game_rows(data, teacher=labeller)
    assert len(rows) == len(plain) == labeller.positions
    judge = load_evaluator(str(tiny_teacher), EvaluatorConfig(threads=1, cache_size=0))
    game = load_sgf(data, max_moves=0)
    moves = load_sgf(data).moves
    off_played = 0
    for (color, move), row, base in zip(moves, rows, plain):
        game.board.to_play = color
        np.testing.assert_array_equal(row["planes"], base["planes"])
        assert row["value"] == base["value"] and row["score"] == base["score"]
        ev = judge.evaluate([Position.from_game(game)])[0]
        legal = game.legal_mask()
        np.testing.assert_allclose(row["policy"], legal_policy(ev.policy, legal), atol=1e-6)
        assert row["policy"][~legal].sum() == 0
        assert row["teacher"].value == pytest.approx(ev.value, abs=1e-5)
        assert row["teacher"].score_lead == pytest.approx(ev.score_lead, abs=1e-4)
        np.testing.assert_allclose(row["teacher"].ownership, ev.ownership, atol=1e-5)
        off_played += row["policy"][move] < 0.99 or legal.sum() == 1
        game.play(move, color)
    assert off_played == len(rows)   # a random net's policy is one-hot only where one move is legal


def test_cli_labels_games_the_trainer_reads_and_resumes(tiny_teacher, tmp_path):
    games = write_games(tmp_path / "sgf", 3, size=7)
    out = tmp_path / "shards"
    args = ["from-sgf", str(tmp_path / "sgf"), "--out", str(out), "--teacher", str(tiny_teacher),
            "--threads", "1", "--batch-size", "16", "--compact", "--quiet"]
    res = CliRunner().invoke(data_group, args)
    assert res.exit_code == 0, res.output
    assert "games used: 3" in res.output and "positions labelled" in res.output
    paths = list_shards(out)
    assert paths and all(is_compact(p) for p in paths)
    rows = 0
    for p in paths:
        shard = load_shard(p)
        a = shard.arrays
        rows += len(a["value"])
        assert shard.meta["source"] == f"sgf+teacher:{tiny_teacher.name}"
        assert a["teacher_valid"].all() and (np.abs(a["teacher_value"]) <= 1).all()
        np.testing.assert_allclose(a["policy"].sum(1), 1.0, atol=1e-3)
        occupied = (a["planes"][:, 1] + a["planes"][:, 2]).reshape(len(a["value"]), -1) > 0
        assert (a["policy"][:, :-1][occupied] == 0).all()
    progress = json.loads((out / "sgf-progress.json").read_text())
    assert progress["positions"] == rows and progress["teacher"] == tiny_teacher.name

    # the trainer reads them and learns from the teacher's targets
    batch = to_torch(ShardSet(paths).batch([(0, r, r % 8) for r in range(8)]), "cpu")
    out_ = build_model("b2c16")(batch["planes"], batch["globals"])
    losses = compute_losses(out_, batch, TrainSettings(data_dirs=["x"], teacher_mix=1.0))
    assert all(torch.isfinite(v) for v in losses.values())

    # a rerun carries on (nothing new to read); one more game is labelled and added
    again = CliRunner().invoke(data_group, args)
    assert again.exit_code == 0 and "positions labelled" in again.output
    assert list_shards(out) == paths
    write_games(tmp_path / "sgf", 1, size=7, first_seed=len(games))
    more = CliRunner().invoke(data_group, args)
    assert more.exit_code == 0 and "games used: 4" in more.output
    assert len(list_shards(out)) > len(paths)


def test_a_folder_keeps_one_kind_of_label(tiny_teacher, tmp_path):
    """Resuming a folder with a different teacher, or none, is refused with a clear message."""
    write_games(tmp_path / "sgf", 2, size=7)
    plain = tmp_path / "plain"
    assert convert([tmp_path / "sgf"], plain, DataSettings(), progress_bar=False).games == 2
    with pytest.raises(ValueError, match="moves played as policy.*labelled by the teacher"):
        convert([tmp_path / "sgf"], plain, DataSettings(), progress_bar=False, teacher=_labeller(tiny_teacher))
    res = CliRunner().invoke(data_group, ["from-sgf", str(tmp_path / "sgf"), "--out", str(plain),
                                          "--teacher", str(tiny_teacher), "--threads", "1", "--quiet"])
    assert res.exit_code != 0 and "choose another --prefix or directory" in res.output
    assert "Traceback" not in res.output
    labelled = tmp_path / "labelled"
    convert([tmp_path / "sgf"], labelled, DataSettings(), progress_bar=False, teacher=_labeller(tiny_teacher))
    with pytest.raises(ValueError, match="labelled by the teacher"):
        convert([tmp_path / "sgf"], labelled, DataSettings(), progress_bar=False)


def test_a_batch_smaller_than_the_game(tiny_teacher):
    """The teacher's batches cut a game anywhere: labels do not depend on the batch size."""
    data = random_game_sgf(7, size=7)
    small = game_rows(data, teacher=_labeller(tiny_teacher, batch_size=3))
    large = game_rows(data, teacher=_labeller(tiny_teacher, batch_size=64))
    for a, b in zip(small, large):
        np.testing.assert_allclose(a["policy"], b["policy"], atol=1e-5)
        assert a["teacher"].value == pytest.approx(b["teacher"].value, abs=1e-5)
    with pytest.raises(ValueError, match="batch size"):
        TeacherLabeller(None, "x", batch_size=0)
