"""The stages of one ``zerogo loop`` generation: self-play, train, export, gate, rate.

Each function does one stage for ``nets.loop.Loop`` and returns a JSON-ready
summary for the state file; each can be rerun after a crash (self-play tops
up, training resumes from its checkpoint, export and matches start over).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import torch

from gtp.match.stats import anchor_elos
from nets.checkpoints import atomic_save, write_weights_only
from nets.gate import (GateSettings, arena_match, gate, gnugo_command, gnugo_path, gtp_match,
                       make_openings, zerogo_command)
from nets.ratings import RatingsFile
from nets.shards import shard_length

log = logging.getLogger(__name__)


def initial_checkpoint(s, path: Path) -> Path:
    """Write the loop's first network: a copy of ``s.start`` or a random ``s.config`` net."""
    from nets.model import build_model, load_checkpoint
    if s.start:
        model, ck = load_checkpoint(s.start)
        s.config = ck["config"]
        meta = {**ck.get("meta", {}), "provenance": f"loop start from {s.start}"}
        step = ck.get("step", 0)
    else:
        torch.manual_seed(s.seed)
        model, meta, step = build_model(s.config), {"provenance": "random init"}, 0
    atomic_save({"config": s.config, "model": model.state_dict(), "step": step, "meta": meta}, path)
    return path


def export_checkpoint(ckpt: Path, onnx: Path, s, provenance: str) -> float:
    """Export a checkpoint to ONNX for ``s.board_size``; returns the torch/ORT parity."""
    from nets.export import export_onnx
    from nets.model import load_checkpoint
    model, ck = load_checkpoint(ckpt)
    meta = {"board_sizes": str(s.board_size), "training_step": ck.get("step", 0),
            "provenance": provenance}
    return export_onnx(model, onnx, meta, check_sizes=(s.board_size,))


def selfplay_stage(s, run: Path, gd: Path, resign_threshold: float) -> dict:
    """Top up generation ``gd``'s self-play to ``s.games`` games with the best network."""
    from nets.selfplay import SelfPlayConfig
    from nets.selfplay_jobs import selfplay
    from nets.selfplay_search import SearchSettings
    out = gd / "selfplay"
    have = len(list((out / "sgf").glob("*.sgf"))) if (out / "sgf").is_dir() else 0
    left = s.games - have
    if left <= 0:
        return {"games": have, "note": "already played"}
    cfg = SelfPlayConfig(board_size=s.board_size, rules=s.rules, komi=s.komi,
                         search=SearchSettings(visits=s.visits, fast_visits=s.fast_visits, tree=s.tree),
                         full_prob=s.full_prob, td_lambda=s.td_lambda,
                         resign_threshold=resign_threshold,
                         resign_playout_fraction=s.resign_playout_fraction,
                         seed=s.seed * 1000 + have)
    summary = selfplay(str(run / "best.onnx"), cfg, left, s.parallel, s.processes, str(out),
                       runtime=s.runtime, precision=s.precision)
    return {**{k: v for k, v in summary.items() if k != "shards"}, "resign_threshold": resign_threshold}


def shard_dirs(s, run: Path, g: int) -> list[str]:
    """Self-play shard dirs of generations 1..g that exist, plus the extra data dirs."""
    dirs = [str(run / f"gen{k:03d}" / "selfplay" / "shards") for k in range(1, g + 1)]
    return [d for d in dirs if Path(d).is_dir()] + list(s.data_dirs)


def train_stage(s, run: Path, gd: Path, g: int) -> dict:
    """Train the candidate from the best network on the newest shards (resumable)."""
    from nets.train import Trainer, TrainSettings
    ts = TrainSettings(data_dirs=shard_dirs(s, run, g), run_dir=str(gd / "train"),
                       config=s.config, batch_size=s.batch_size, steps=s.train_steps, lr=s.lr,
                       optimizer=s.optimizer,
                       warmup_steps=max(1, min(50, s.train_steps // 10)), window=s.window,
                       replay_dirs=list(s.replay_dirs), replay_fraction=s.replay_fraction,
                       teacher_mix=s.teacher_mix,
                       device="cpu", seed=s.seed + g, checkpoint_minutes=2.0,
                       init=str(run / "best.pt"), tensorboard=False, log_every=10)
    trainer = Trainer(ts)
    try:
        last = trainer.run()
    finally:
        trainer.close()
    return {**{k: round(v, 4) for k, v in last.items()}, "window": window_record(trainer.window, s.replay_dirs)}


def window_record(window: list[str], replay_dirs: list[str]) -> dict:
    """Shards and positions of a training window, and how many of them came from the replay dirs."""
    replay = {Path(d).resolve() for d in replay_dirs}
    rows = [(shard_length(p), Path(p).resolve().parent in replay) for p in window]
    return {"shards": len(rows), "positions": sum(n for n, _ in rows),
            "replay_shards": sum(r for _, r in rows), "replay_positions": sum(n for n, r in rows if r)}


def export_stage(s, gd: Path, g: int) -> dict:
    """Write candidate.pt (weights only) and candidate.onnx from the trainer's checkpoint."""
    slim = write_weights_only(gd / "train" / "checkpoint.pt", gd / "candidate.pt",
                              advice="restore it, or move this generation's train folder away and set "
                                     "loop_state.json's stage back to \"train\" to train it again")
    diff = export_checkpoint(gd / "candidate.pt", gd / "candidate.onnx", s, f"zerogo loop generation {g}")
    return {"step": slim["step"], "parity": diff}


def gate_settings(s) -> GateSettings:
    """The loop's gate settings."""
    return GateSettings(backend=s.gate_backend, games=s.gate_games, visits=s.gate_visits,
                        parallel=s.gate_parallel, elo1=s.elo1, min_score=s.min_score,
                        opening_moves=s.opening_moves,
                        board_size=s.board_size, komi=s.komi, rules=s.rules)


def gate_stage(s, run: Path, gd: Path):
    """Candidate against the current best (SPRT); returns a GateOutcome."""
    return gate(str(gd / "candidate.onnx"), str(run / "best.onnx"), gate_settings(s), gd,
                gd / "selfplay" / "sgf")


def _anchor_match(network: str, anchor: str, s, games: int, openings: list[str]) -> tuple[int, int, int]:
    """(wins, losses, draws) of ``network`` against an anchor ("gnugo-L" or a network file)."""
    gs = replace(gate_settings(s), games=games)
    if anchor.startswith("gnugo-"):
        out = gtp_match(zerogo_command(network, gs, 3), gnugo_command(int(anchor[6:])), gs,
                        openings, sprt=False)
    elif s.gate_backend == "arena":
        out = arena_match(network, anchor, gs, sprt=False)
    else:
        out = gtp_match(zerogo_command(network, gs, 3), zerogo_command(anchor, gs, 4), gs,
                        openings, sprt=False)
    return out.wins, out.losses, out.draws


def rating_openings(s, run: Path, g: int) -> list[str]:
    """The fixed set of openings every rating match uses (cut once from the first self-play).

    The engines are deterministic, so each opening gives two distinct games (one
    per colour) and ``anchor_games / 2`` openings make every game different.
    """
    out = run / "rating_openings"
    have = sorted(str(p) for p in out.glob("*.sgf")) if out.is_dir() else []
    if have:
        return have
    src = run / f"gen{g:03d}" / "selfplay" / "sgf"
    return make_openings(src, out, s.opening_moves, max(1, s.anchor_games // 2))


def rate_stage(s, run: Path, g: int) -> dict | None:
    """Rate the (promoted) best network against the anchors into ``ratings.json``."""
    if s.anchor_games <= 0:
        return None
    ratings = RatingsFile(run / "ratings.json")
    openings = rating_openings(s, run, g)
    gnugo = [f"gnugo-{lvl}" for lvl in s.anchor_gnugo] if gnugo_path() else []
    first = str(run / "gen000.onnx")
    base = next((e for e in ratings.entries if e["generation"] == 0), None)
    if base is None:
        res = {a: _anchor_match(first, a, s, s.anchor_games, openings) for a in gnugo}
        base = ratings.add(0, first, res, {})
        base["elo"] = 0.0
        ratings.save()
    anchor_elo = anchor_elos(base["anchors"])
    best = str(run / f"gen{g:03d}" / "candidate.onnx")
    res = {a: _anchor_match(best, a if a.startswith("gnugo") else first, s, s.anchor_games, openings)
           for a in ["gen000"] + gnugo}
    return ratings.add(g, best, res, anchor_elo)
