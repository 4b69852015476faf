"""optuna tuning: a two-trial search study that resumes from its SQLite file, and a train study."""

from __future__ import annotations

import json

import optuna
import pytest
import torch
from click.testing import CliRunner

from engine.evaluation import UniformEvaluator
from nets.selfplay import SelfPlayConfig, run_games
from nets.selfplay_io import GameSink
from nets.selfplay_search import SearchSettings
from nets.tune import TuneSettings, run_study
from nets.cli import tune_command


def test_search_study_of_two_trials_resumes(tmp_path):
    db = tmp_path / "tune.db"
    args = ["--mode", "search", "--study", "s", "--storage", str(db), "--board-size", "5",
            "--komi", "0.5", "--games", "2", "--visits", "4", "--parallel", "2"]
    first = CliRunner().invoke(tune_command, args + ["--trials", "1"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(tune_command, args + ["--trials", "2", "--sampler", "random"])
    assert second.exit_code == 0, second.output
    result = json.loads(second.stdout[second.stdout.index("{\n"):])
    assert result["trials"] == 2                    # one from each run: the study resumed
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{db}")
    assert len(study.trials) == 2
    for t in study.trials:
        assert 0.0 <= t.value <= 1.0
        assert t.user_attrs["wins"] + t.user_attrs["losses"] + t.user_attrs["draws"] == 2
        assert set(t.params) == {"c_puct", "fpu_reduction", "batch_size", "temperature"}


def _shards(out, games: int, seed: int) -> None:
    sink = GameSink(out)
    cfg = SelfPlayConfig(board_size=5, komi=0.5, full_prob=1.0, max_moves=40, seed=seed,
                         search=SearchSettings(visits=2, fast_visits=1))
    run_games(UniformEvaluator(), cfg, games, 4, on_game=sink)
    sink.close()


def test_train_study_scores_by_validation_loss(tmp_path):
    torch.set_num_threads(1)
    _shards(tmp_path / "train", 8, 1)
    _shards(tmp_path / "val", 2, 2)
    s = TuneSettings(mode="train", study="t", storage=str(tmp_path / "t.db"), trials=2,
                     data_dirs=[str(tmp_path / "train" / "shards")],
                     val_dirs=[str(tmp_path / "val" / "shards")], config="b2c16", steps=2,
                     run_dir=str(tmp_path / "runs"))
    result = run_study(s)
    assert result["trials"] == 2 and result["best_value"] > 0
    study = optuna.load_study(study_name="t", storage=f"sqlite:///{tmp_path / 't.db'}")
    assert all(t.user_attrs["loss_policy"] > 0 for t in study.trials)


def test_train_mode_needs_data():
    with pytest.raises(Exception, match="val-dir"):
        TuneSettings(mode="train", data_dirs=["x"])
