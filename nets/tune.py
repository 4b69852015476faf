"""``zerogo tune``: optuna studies over search or training parameters, stored so they resume.

``--mode search`` tunes c_puct, the FPU reduction, the search batch size (how
many leaves virtual loss spreads per network call; the engine's virtual loss
is one visit per pending leaf, so its weight is not a separate setting) and
the opening temperature, each trial scored by the trial's score in a short
in-process match (``nets.arena``) against the default settings with the same
network and visits.

``--mode train`` tunes the learning rate, weight decay, batch size,
optimizer and value-loss weight; each trial trains a fresh net for
``--steps`` steps on ``--data-dir`` (``nets.train.Trainer``) and is scored by
the loss on held-out shards (``--val-dir``).

The study lives in an SQLite file (``--storage``), so a stopped study picks up
where it was: ``--trials`` is the total number of finished trials wanted.
Samplers: TPE (default) or random search, seeded.

Example::

    zerogo tune --mode search --network best.onnx --storage tune.db --trials 30 --games 40
    zerogo tune --mode train --data-dir data/train --val-dir data/val --steps 300 --trials 20
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import click

from engine.rules import default_komi
import numpy as np

log = logging.getLogger(__name__)


@dataclass
class TuneSettings:
    """One study."""

    mode: str = "search"             # search or train
    study: str = "zerogo"
    storage: str = "tune.db"
    trials: int = 20
    sampler: str = "tpe"             # tpe or random
    seed: int = 0
    # search mode
    network: str = "uniform"
    board_size: int = 9
    komi: float | None = None               # None: engine.rules.default_komi(board_size)
    games: int = 40
    visits: int = 32
    parallel: int = 16
    # train mode
    data_dirs: list = field(default_factory=list)
    val_dirs: list = field(default_factory=list)
    config: str = "b4c32"
    steps: int = 200
    run_dir: str = "runs/tune"

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.board_size)
        if self.mode not in ("search", "train"):
            raise click.BadParameter(f"mode must be search or train, not {self.mode!r}")
        if self.sampler not in ("tpe", "random"):
            raise click.BadParameter(f"sampler must be tpe or random, not {self.sampler!r}")
        if self.mode == "train" and (not self.data_dirs or not self.val_dirs):
            raise click.BadParameter("train mode needs --data-dir and --val-dir")


def search_space(trial) -> dict:
    """The search parameters of one trial."""
    return {"c_puct": trial.suggest_float("c_puct", 0.3, 5.0, log=True),
            "fpu_reduction": trial.suggest_float("fpu_reduction", 0.0, 0.8),
            "batch_size": trial.suggest_categorical("batch_size", [1, 2, 4, 8, 16]),
            "temperature": trial.suggest_float("temperature", 0.1, 1.5)}


def train_space(trial) -> dict:
    """The training hyperparameters of one trial."""
    return {"lr": trial.suggest_float("lr", 1e-4, 0.1, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-3, log=True),
            "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
            "optimizer": trial.suggest_categorical("optimizer", ["sgd", "adamw"]),
            "value_weight": trial.suggest_float("value_weight", 0.25, 2.0)}


class SearchObjective:
    """Score of a trial's search settings against the defaults in a short match."""

    def __init__(self, s: TuneSettings):
        from nets.netload import open_evaluator
        self.s = s
        self.evaluator = open_evaluator(s.network)

    def __call__(self, trial) -> float:
        """Play the match; the trial's score fraction (0..1), higher is better."""
        from nets.arena import ArenaConfig, play_match
        from nets.selfplay_search import SearchSettings
        p = search_space(trial)
        mine = SearchSettings(visits=self.s.visits, c_puct=p["c_puct"],
                              fpu_reduction=p["fpu_reduction"], batch_size=p["batch_size"])
        base = SearchSettings(visits=self.s.visits)
        cfg = ArenaConfig(board_size=self.s.board_size, komi=self.s.komi, games=self.s.games,
                          parallel=self.s.parallel, opening_moves=4, seed=self.s.seed + trial.number)
        r = play_match((self.evaluator, _with_temperature(mine, p["temperature"])),
                       (self.evaluator, base), cfg)
        trial.set_user_attr("wins", r.wins)
        trial.set_user_attr("losses", r.losses)
        trial.set_user_attr("draws", r.draws)
        return r.score


def _with_temperature(s, temperature: float):
    """Settings with the opening sampling temperature set (arena keeps it for opening plies)."""
    from dataclasses import replace
    return replace(s, temperature=temperature)


class TrainObjective:
    """Validation loss of a net trained with a trial's hyperparameters."""

    def __init__(self, s: TuneSettings):
        self.s = s

    def __call__(self, trial) -> float:
        """Train for ``steps`` steps, return the held-out loss (lower is better)."""
        from nets.train import Trainer, TrainSettings
        p = train_space(trial)
        ts = TrainSettings(data_dirs=list(self.s.data_dirs),
                           run_dir=str(Path(self.s.run_dir) / f"{self.s.study}-trial{trial.number:04d}"),
                           config=self.s.config, steps=self.s.steps, device="cpu",
                           warmup_steps=max(1, self.s.steps // 10), seed=self.s.seed,
                           tensorboard=False, checkpoint_minutes=10.0, **p)
        trainer = Trainer(ts)
        try:
            trainer.run()
            loss = validation_loss(trainer.model, self.s.val_dirs, ts)
        finally:
            trainer.close()
        for k, v in loss.items():
            trial.set_user_attr(k, v)
        return loss["loss"]


def validation_loss(model, val_dirs: list, ts, batch: int = 256, max_rows: int = 20_000) -> dict:
    """Mean losses (``nets.losses.compute_losses``) of ``model`` over held-out shards."""
    import torch

    from nets.shards import ShardSet, list_shards
    from nets.losses import compute_losses, to_torch
    shards = ShardSet(list_shards(*val_dirs))
    if not shards.paths:
        raise click.BadParameter(f"no validation shards in {', '.join(map(str, val_dirs))}")
    items = [(i, r, 0) for i, n in enumerate(shards.lengths) for r in range(n)][:max_rows]
    totals: dict = {}
    model.eval()
    with torch.no_grad():
        for start in range(0, len(items), batch):
            chunk = np.array(items[start:start + batch])
            b = to_torch(shards.batch(chunk), "cpu")
            out = compute_losses(model(b["planes"], b["globals"]), b, ts)
            for k, v in out.items():
                totals[k] = totals.get(k, 0.0) + float(v) * len(chunk)
    return {k: v / len(items) for k, v in totals.items()}


def make_study(s: TuneSettings):
    """Create or load the study in its SQLite storage."""
    import optuna
    sampler = (optuna.samplers.TPESampler(seed=s.seed, n_startup_trials=5) if s.sampler == "tpe"
               else optuna.samplers.RandomSampler(seed=s.seed))
    storage = s.storage if "://" in s.storage else f"sqlite:///{Path(s.storage).resolve()}"
    direction = "maximize" if s.mode == "search" else "minimize"
    return optuna.create_study(study_name=s.study, storage=storage, sampler=sampler,
                               direction=direction, load_if_exists=True)


def run_study(s: TuneSettings) -> dict:
    """Run trials until the study has ``s.trials`` finished ones; returns the best."""
    import optuna
    study = make_study(s)
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    left = max(0, s.trials - done)
    if left:
        objective = SearchObjective(s) if s.mode == "search" else TrainObjective(s)
        study.optimize(objective, n_trials=left, show_progress_bar=True)
    best = study.best_trial
    return {"study": s.study, "mode": s.mode, "trials": len(study.trials),
            "best_value": best.value, "best_params": best.params, "best_trial": best.number}
