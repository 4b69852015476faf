"""The trainer: policy, value, score and ownership losses over a sliding window of shards.

One process or many (``torchrun``: DDP, gloo on CPUs, NCCL on GPUs). Data
order is a pure function of (seed, epoch, window): each epoch takes the newest
``window`` shards (rank 0 lists them and broadcasts the list; an epoch ends
after a full pass, or after ``epoch_steps`` batches so new self-play shards
enter the window regularly; ``new_window`` starts a fresh epoch on resume),
plus, with ``replay_dirs``, a fresh random pick of those shards making
``replay_fraction`` of the window's positions (teacher data mixed into
self-play training, so that a loop does not forget its teacher), and
``nets.shards.epoch_plan`` orders their positions into global batches; rank
``r`` of ``W`` trains on rows ``r::W`` of each global batch, so the global
batch is the same whatever the number of processes.

The checkpoint ``RUN/checkpoint.pt`` (shared format with ``nets.model`` and
``nets.export``: ``config``, ``model``, ``step``, ``meta``) also holds the
optimiser, AMP scaler, RNG states and the data cursor ``(epoch, cursor,
window)``. It is written atomically (tmp + os.replace) every
``checkpoint_minutes``, every ``checkpoint_every`` steps if set, at the end,
and after the step in flight when SIGINT or SIGTERM arrives (the run then
exits with 128 + the signal number; a second signal stops it at once); a run
killed at any point resumes from it without losing or repeating a batch.

With ``minutes`` and ``fit_steps`` the run times its own steps (after the
first few, which load the shards) and lowers ``steps`` to what fits the time
left, so a learning-rate schedule ends when the time does: "train for ten
minutes on this GPU" without knowing its speed beforehand.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from engine.features import FEATURE_VERSION
from nets.checkpoints import (
    TRAINING_KEYS,
    CheckpointError,
    atomic_save,
    load_weights,
    read_checkpoint,
)
from nets.losses import autocast_dtype, lr_at, make_optimizer, to_torch, train_step
from nets.metrics import MetricsLogger
from nets.model import ConfigError, build_model
from nets.shards import ShardError, ShardSet, epoch_plan, list_shards, pick_replay, shard_length
from gtp.match.stop_signals import StopNow, StopRequest
from nets.train_settings import TrainError, TrainSettings
from nets.widen import WidenError, widen_into

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"
FIT_SKIP_STEPS = 10     # fit_steps: a run's first steps are not timed (they load the shards)
FIT_MIN_STEPS = 20      # then at least this many steps, over at least a tenth of ``minutes``
FIT_MARGIN = 0.97       # and the fitted schedule leaves this share of the time left for steps


def fitted_steps(step: int, rate: float, seconds_left: float, cap: int) -> int:
    """Total steps that fit ``seconds_left`` at ``rate`` steps a second after ``step``, within ``cap``."""
    return max(step + 1, min(cap, step + int(rate * seconds_left * FIT_MARGIN)))


def batch_hash(rows: np.ndarray) -> str:
    """A short hash of a global batch's (shard, row, symmetry) triples."""
    return hashlib.sha1(np.ascontiguousarray(rows, np.int64).tobytes()).hexdigest()[:16]


class Dist:
    """This process's place in a torchrun job (world 1 when not launched by torchrun)."""

    def __init__(self, device: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() and device in ("auto", "cuda")
        if device == "cuda" and not torch.cuda.is_available():
            raise TrainError("--device cuda but no CUDA GPU is available")
        self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if cuda else "gloo")

    @property
    def main(self) -> bool:
        """True on rank 0 (the one that writes files)."""
        return self.rank == 0

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        if self.world == 1:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def agree(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank (so all stop at the same step)."""
        if self.world == 1:
            return flag
        t = torch.tensor([int(flag)], device=self.device)
        dist.broadcast(t, src=0)
        return bool(t.item())

    def any(self, flag: bool) -> bool:
        """True on every rank if ``flag`` is true on any rank (a signal may reach one rank only)."""
        if self.world == 1:
            return flag
        t = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def sync_buffers(self, model) -> None:
        """Copy rank 0's buffers (BatchNorm statistics) to every rank, as DDP does per step."""
        if self.world > 1:
            for b in model.buffers():
                dist.broadcast(b, src=0)

    def close(self) -> None:
        """Leave the process group."""
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


class Trainer:
    """A resumable training run (see the module docstring)."""

    def __init__(self, settings: TrainSettings):
        settings.check()
        self.s = settings
        self.dist = Dist(settings.device)
        if settings.batch_size % self.dist.world:
            raise TrainError(f"batch size {settings.batch_size} does not split over "
                             f"{self.dist.world} processes")
        self.run_dir = Path(settings.run_dir)
        self.ckpt_path = self.run_dir / CHECKPOINT
        torch.manual_seed(settings.seed)
        self.model = build_model(settings.config).to(self.dist.device)
        self.dtype = autocast_dtype(self.dist.device.type, settings.amp)
        # bf16 likes channels-last: oneDNN's fast convolutions on a CPU, the tensor cores' layout on a GPU
        self.channels_last = self.dtype == torch.bfloat16
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if self.dtype is not None:
            log.info("training in mixed precision: %s autocast on %s", self.dtype, self.dist.device)
        self.optimizer = make_optimizer(self.model, settings)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.dtype == torch.float16)
        self.step, self.epoch, self.cursor = 0, 0, 0
        self.window: list[str] = []
        self.plan: list[np.ndarray] = []
        self.train_seconds = 0.0
        self.sizes_seen: set = set()
        self.pending: list[dict] = []     # losses since the last metrics row (kept across resume)
        self._load_state()
        self.saved_step: int | None = self.step if self.ckpt_path.exists() else None   # on disk
        self.net = self.model
        if self.dist.world > 1:
            ids = [self.dist.device.index] if self.dist.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

    # ------------------------------------------------------------ state
    def _load_state(self) -> None:
        """Resume from RUN/checkpoint.pt, or start fresh (optionally from ``init`` weights)."""
        if self.ckpt_path.exists() or self.ckpt_path.is_symlink():
            advice = ("move it away to start this run afresh (or give another --run-dir); "
                      "its weights, if readable, can seed a new run with --init")
            ck = read_checkpoint(self.ckpt_path, self.dist.device, TRAINING_KEYS, advice)
            if ck["config"] != self.s.config:
                raise TrainError(f"{self.ckpt_path} holds a {ck['config']} net, not {self.s.config}")
            load_weights(self.model, ck["model"], self.ckpt_path)
            try:
                self.optimizer.load_state_dict(ck["optimizer"])
                self.scaler.load_state_dict(ck["scaler"])
                d = ck["data"]
                self.epoch, self.cursor, self.window = d["epoch"], d["cursor"], d["window"]
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointError(f"{self.ckpt_path} has a damaged training state ({exc}): "
                                      f"{advice}") from None
            self.step = ck["step"]
            self.pending = list(ck.get("pending_losses", []))
            self.train_seconds = ck["meta"].get("train_seconds", 0.0)
            self.sizes_seen = {tuple(x) for x in ck["meta"].get("board_sizes", [])}
            torch.set_rng_state(ck["rng"]["torch"].cpu())
            if self.s.new_window:
                self.epoch, self.cursor, self.plan = self.epoch + 1, 0, []
            else:
                self._resume_window()
            log.info("resumed %s at step %d (epoch %d, batch %d)", self.ckpt_path, self.step,
                     self.epoch, self.cursor)
        elif self.s.init:
            ck = read_checkpoint(self.s.init, self.dist.device, ("model",),
                                 "give --init a checkpoint written by zerogo train")
            small = ck.get("config") or self.s.config
            if small == self.s.config:
                load_weights(self.model, ck["model"], self.s.init)
            else:
                self._grow_from(ck["model"], small)

    def _grow_from(self, state: dict, small_name: str) -> None:
        """Start from a smaller net's weights grown into this config (``nets.widen``)."""
        try:
            small = build_model(small_name)
        except ConfigError as exc:
            raise TrainError(f"{self.s.init}: {exc}") from None
        load_weights(small, state, self.s.init)
        try:
            widen_into(small.state_dict(), small.config, self.model)
        except WidenError as exc:
            raise TrainError(f"--init {self.s.init} cannot seed {self.s.config}: {exc}") from None
        log.info("grew the %s net of %s into %s (same outputs; new parts start from zero "
                 "influence)", small_name, self.s.init, self.s.config)

    def _resume_window(self) -> None:
        """Rebuild the interrupted epoch's plan; a new epoch if its shards are gone."""
        try:
            self._open_window(self.window)
        except (ShardError, OSError) as exc:
            log.warning("cannot reopen the interrupted epoch's shards (%s): new epoch", exc)
            self.epoch, self.cursor, self.plan = self.epoch + 1, 0, []

    def _open_window(self, paths: list[str]) -> None:
        self.shards = ShardSet(paths)
        self.window = [str(p) for p in paths]
        self.plan = epoch_plan(self.shards.lengths, self.shards.sizes, self.s.seed, self.epoch,
                               self.s.batch_size)
        if not self.plan:
            raise TrainError(f"the window holds {sum(self.shards.lengths)} positions: "
                             f"not one batch of {self.s.batch_size}")
        self.sizes_seen.update(self.shards.sizes)

    def _next_epoch(self) -> None:
        """Take the newest shards and a pick of the replay shards (rank 0 decides); plan a pass over them."""
        epoch = self.epoch + 1 if self.plan else self.epoch
        paths, problem = None, ""
        if self.dist.main:
            paths = [str(p) for p in list_shards(*self.s.data_dirs)[-self.s.window:]]
            newest = set(paths)
            replays = [p for p in list_shards(*self.s.replay_dirs) if str(p) not in newest]
            if not paths:
                problem = f"no shards in {', '.join(self.s.data_dirs)}"
            elif self.s.replay_dirs and not replays:
                problem = f"no shards in the replay dirs {', '.join(self.s.replay_dirs)}"
            elif replays:
                own = sum(shard_length(p) for p in paths)
                paths += [str(p) for p in pick_replay(replays, own, self.s.replay_fraction, self.s.seed, epoch)]
        paths, problem = self.dist.broadcast((paths, problem))   # every rank stops on a problem
        if problem:
            raise TrainError(problem)
        self.epoch, self.cursor = epoch, 0
        self._open_window(paths)

    def checkpoint_dict(self) -> dict:
        """The checkpoint in the shared format, plus the training state."""
        meta = {"feature_version": FEATURE_VERSION, "train_seconds": self.train_seconds,
                "board_sizes": sorted(self.sizes_seen), "data_dirs": list(self.s.data_dirs),
                "replay_dirs": list(self.s.replay_dirs),
                "positions_seen": self.step * self.s.batch_size, "optimizer": self.s.optimizer,
                "world_size": self.dist.world}
        return {"config": self.s.config, "model": self.model.state_dict(), "step": self.step,
                "meta": meta, "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict(),
                "data": {"epoch": self.epoch, "cursor": self.cursor, "window": self.window},
                "rng": {"torch": torch.get_rng_state()}, "pending_losses": list(self.pending),
                "settings": dataclasses.asdict(self.s)}

    def save(self) -> None:
        """Write the checkpoint (rank 0 only)."""
        if self.dist.main:
            atomic_save(self.checkpoint_dict(), self.ckpt_path)
        self.saved_step = self.step

    # ------------------------------------------------------------ loop
    def run(self) -> dict:
        """Train until ``steps`` (or ``minutes``); returns the last logged losses."""
        from tqdm import tqdm

        self.run_dir.mkdir(parents=True, exist_ok=True)
        metrics = MetricsLogger(self.run_dir, self.step, self.s.tensorboard) if self.dist.main else None
        bar = tqdm(total=self.s.steps, initial=self.step, desc="train", unit="step",
                   disable=not self.dist.main)
        with StopRequest() as stop:
            try:
                last = self._train_until_done(stop, metrics, bar)
            except StopNow as now:
                on_disk = ("no checkpoint written yet" if self.saved_step is None
                           else f"the checkpoint of step {self.saved_step} stands")
                log.warning("stopped at once by a second signal at step %d: %s; run the same "
                            "command to carry on", self.step, on_disk)
                raise SystemExit(now.exit_code) from None
        if self.dist.any(stop.signum is not None):
            log.warning("stopped by a signal: checkpoint written at step %d of %d; run the same "
                        "command to carry on", self.step, self.s.steps)
            raise SystemExit(stop.exit_code)
        return last

    def _train_until_done(self, stop: StopRequest, metrics: MetricsLogger | None, bar) -> dict:
        """The training loop: steps, logs and checkpoints until done, timed out or asked to stop."""
        start = last_ckpt = time.monotonic()
        last: dict = {}
        acc = self.pending      # a resumed run averages the same steps as an uninterrupted one
        fit = _StepFit(self.step, start) if self.s.fit_steps and self.s.minutes else None
        while self.step < self.s.steps:
            if self.dist.agree(bool(self.s.minutes) and time.monotonic() - start > self.s.minutes * 60):
                break
            t0 = time.monotonic()
            acc.append(self._one_step())
            self.train_seconds += time.monotonic() - t0
            bar.update(1)
            if fit is not None and self._fit_schedule(fit):
                fit, bar.total = None, self.s.steps
                bar.refresh()
            if metrics and (self.step % self.s.log_every == 0 or self.step == self.s.steps):
                last = self._log_losses(metrics, acc, bar)
            if self.dist.any(stop.signum is not None):
                break
            timed = time.monotonic() - last_ckpt > self.s.checkpoint_minutes * 60
            if timed or (self.s.checkpoint_every and self.step % self.s.checkpoint_every == 0):
                self.save()
            if timed:
                last_ckpt = time.monotonic()
                if metrics:
                    metrics.plot(self.s.ratings or None)
        bar.close()
        self.dist.sync_buffers(self.model)
        self.save()
        if metrics:
            metrics.plot(self.s.ratings or None)
            metrics.close()
        return last

    def _log_losses(self, metrics: MetricsLogger, acc: list[dict], bar) -> dict:
        """Log the mean of the losses in ``acc`` (then emptied) as this step's metrics row; returns it."""
        last = {k: float(np.mean([a[k] for a in acc])) for k in acc[0]}
        last["lr"] = lr_at(self.step - 1, self.s)
        metrics.log(self.step, last)
        bar.set_postfix(loss=f"{last['loss']:.3f}")
        acc.clear()
        return last

    def _one_step(self) -> dict:
        """Train on the next global batch of the plan."""
        if self.cursor >= len(self.plan) or 0 < self.s.epoch_steps <= self.cursor:
            self._next_epoch()
        rows = self.plan[self.cursor]
        if self.s.batch_log and self.dist.main:
            with open(self.s.batch_log, "a") as f:
                f.write(f"{self.step + 1} {self.epoch} {self.cursor} {batch_hash(rows)}\n")
        local = rows[self.dist.rank::self.dist.world]
        batch = to_torch(self.shards.batch(local), self.dist.device)
        if self.channels_last:
            batch["planes"] = batch["planes"].contiguous(memory_format=torch.channels_last)
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(self.step, self.s)
        losses = train_step(self.net, self.optimizer, batch, self.s, self.scaler, self.dtype)
        self.step += 1
        self.cursor += 1
        return losses

    def _fit_schedule(self, fit: _StepFit) -> bool:
        """fit_steps: once enough steps are timed, lower ``steps`` to what fits the time left; True then."""
        now = time.monotonic()
        if fit.mark is None:
            if self.step - fit.first_step >= FIT_SKIP_STEPS:
                fit.mark = (self.step, now)
            return False
        step0, t0 = fit.mark
        timed = self.step - step0 >= FIT_MIN_STEPS and now - t0 >= self.s.minutes * 6
        if not self.dist.agree(timed):
            return False
        rate = (self.step - step0) / max(now - t0, 1e-9)
        left = self.s.minutes * 60 - (now - fit.start)
        self.s.steps = self.dist.broadcast(fitted_steps(self.step, rate, left, self.s.steps))
        log.info("fitted the schedule to the %.0f s left: %d steps in all at %.2f steps/s "
                 "(to carry on with this schedule later: --steps %d)", left, self.s.steps, rate,
                 self.s.steps)
        return True

    def close(self) -> None:
        """Leave the process group (if any), first freeing the DDP wrapper that holds it."""
        if self.net is not self.model:
            # gloo aborts the process if the wrapper's reducer still holds the group when the
            # interpreter shuts down (seen 1 run in 5 with torch 2.13 on an idle machine)
            self.net = self.model
            gc.collect()
        self.dist.close()


@dataclasses.dataclass
class _StepFit:
    """fit_steps' timing: where this run started, and the (step, time) its timed stretch starts at."""

    first_step: int
    start: float
    mark: tuple[int, float] | None = None
