"""Everything a training run needs (saved in its checkpoint), and the error a run that cannot go on raises."""

from __future__ import annotations

from dataclasses import dataclass, field

from nets.model import get_config


class TrainError(RuntimeError):
    """A training run that cannot start or go on (no data, bad settings, wrong checkpoint)."""


@dataclass
class TrainSettings:
    """Everything a training run needs; saved in the checkpoint."""

    data_dirs: list[str] = field(default_factory=list)
    run_dir: str = "runs/train"
    config: str = "b6c64"
    batch_size: int = 256          # global batch (split across processes)
    steps: int = 1000              # train until this many steps in total
    minutes: float = 0.0           # also stop after this long in this run (0: no limit)
    fit_steps: bool = False        # with minutes: lower steps to what fits the time (nets.train)
    optimizer: str = "sgd"         # sgd (with Nesterov momentum) or adamw
    lr: float = 0.02
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_schedule: str = "cosine"    # constant, cosine or step (x0.1 at 50% and 75%)
    warmup_steps: int = 100
    window: int = 100              # train on the newest this many shards
    epoch_steps: int = 0           # re-list the newest shards after this many steps (0: full pass)
    new_window: bool = False       # on resume, drop the unfinished pass and re-list the shards
    replay_dirs: list[str] = field(default_factory=list)   # shards mixed into every window (e.g. teacher data)
    replay_fraction: float = 0.25  # their share of each window's positions (a fresh random pick each epoch)
    policy_weight: float = 1.0
    value_weight: float = 1.0
    score_weight: float = 0.1
    ownership_weight: float = 0.5
    teacher_mix: float = 0.0       # value/score/ownership target = (1-m) game + m teacher (shards with teacher targets)
    amp: bool = True               # mixed precision: bf16 (else fp16) on a GPU, bf16 on a CPU with AMX
    device: str = "auto"           # auto, cpu, cuda
    seed: int = 0
    checkpoint_minutes: float = 5.0
    checkpoint_every: int = 0      # also every this many steps (0: off)
    log_every: int = 10
    batch_log: str = ""            # append "step epoch cursor sha1(batch)" lines here
    init: str = ""                 # start a fresh run from these weights
    ratings: str = ""              # step,elo CSV to plot beside the losses
    tensorboard: bool = True

    def check(self) -> None:
        """Raise TrainError for settings that cannot work."""
        get_config(self.config)
        if self.optimizer not in ("sgd", "adamw"):
            raise TrainError(f"optimizer must be sgd or adamw, not {self.optimizer!r}")
        if self.lr_schedule not in ("constant", "cosine", "step"):
            raise TrainError(f"lr schedule must be constant, cosine or step, not {self.lr_schedule!r}")
        if self.batch_size < 1 or self.steps < 0 or self.window < 1 or self.lr <= 0:
            raise TrainError("batch size, window and lr must be positive, steps >= 0")
        if not self.data_dirs:
            raise TrainError("no data directories given")
        if self.fit_steps and not self.minutes > 0:
            raise TrainError("fitting the steps to the time (--fit-steps) needs --minutes")
        if not 0.0 <= self.teacher_mix <= 1.0:
            raise TrainError("teacher mix must be in [0, 1]")
        if not 0.0 < self.replay_fraction < 1.0:
            raise TrainError("replay fraction must be in (0, 1)")
