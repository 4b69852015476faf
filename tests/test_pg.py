"""Policy-gradient stage: legal search-free games, PPO raises the probability of winning moves."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from nets.model import build_model
from nets.pg import PgSettings, Rollout, play_games, ppo_update, trainable
from nets.cli import train_pg_command


def _net(seed: int = 0):
    torch.manual_seed(seed)
    return build_model("b2c16").eval()


def test_games_are_legal_and_rewards_match_outcomes():
    torch.set_num_threads(1)
    s = PgSettings(board_size=5, komi=0.5, games=6, max_moves=30)
    ro = play_games(_net(0), _net(1), s, np.random.default_rng(0))
    assert ro.wins + ro.losses <= 6 and len(ro.actions) > 0
    assert ro.legal[np.arange(len(ro.actions)), ro.actions].all()   # every move was legal
    assert set(np.unique(ro.reward)) <= {-1.0, 0.0, 1.0}
    assert (ro.logp <= 0).all()


def test_ppo_moves_probability_towards_rewarded_actions():
    torch.set_num_threads(1)
    model = _net(0)
    s = PgSettings(board_size=5, komi=0.5, games=8, max_moves=20, ppo_epochs=4, lr=3e-3)
    ro = play_games(model, model, s, np.random.default_rng(1))
    # reward a fixed point (C3 = 12) whenever it was played, punish everything else
    ro.reward = np.where(ro.actions == 12, 1.0, -1.0).astype(np.float32)
    assert (ro.actions == 12).any()
    before = _prob_of(model, ro, 12)
    head = [p.clone() for n, p in model.named_parameters() if not n.startswith("pol_")]
    opt = torch.optim.Adam(trainable(model, False), lr=s.lr)
    stats = ppo_update(model, opt, ro, s, np.random.default_rng(2))
    assert _prob_of(model, ro, 12) > before
    assert stats["entropy"] > 0
    after = [p for n, p in model.named_parameters() if not n.startswith("pol_")]
    assert all(torch.equal(a, b) for a, b in zip(head, after))   # head-only: trunk untouched


def _prob_of(model, ro: Rollout, move: int) -> float:
    with torch.no_grad():
        logits = model(torch.from_numpy(ro.planes.astype(np.float32)),
                       torch.from_numpy(ro.globals_.astype(np.float32)))["policy_logits"]
        logits = logits.masked_fill(~torch.from_numpy(ro.legal), -1e9)
        return float(torch.softmax(logits, 1)[:, move].mean())


def test_cli_runs_resumes_and_reports(tmp_path):
    torch.manual_seed(0)
    start = tmp_path / "start.pt"
    torch.save({"config": "b2c16", "model": build_model("b2c16").state_dict(), "step": 0,
                "meta": {}}, start)
    args = ["--start", str(start), "--out-dir", str(tmp_path / "pg"), "--board-size", "5",
            "--komi", "0.5", "--games", "4", "--max-moves", "20", "--eval-games", "4",
            "--pool-every", "1", "--ppo-epochs", "1"]
    res = CliRunner().invoke(train_pg_command, args + ["--iterations", "1"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(train_pg_command, args + ["--iterations", "2"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "pg" / "pg_report.json").read_text())
    assert report["iterations"] == 2 and len(report["history"]) == 2     # resumed, not redone
    assert 0.0 <= report["after"]["vs_start_no_search"] <= 1.0
    assert (tmp_path / "pg" / "pg_final.pt").exists()
    assert len(list((tmp_path / "pg" / "pool").glob("*.pt"))) == 2


def test_start_is_required(tmp_path):
    from nets.pg import PgRun
    import click
    with pytest.raises(click.UsageError, match="--start"):
        PgRun(PgSettings(out_dir=str(tmp_path)))
