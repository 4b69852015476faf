"""``zerogo train``, ``export``, ``train-pg`` and ``tune``: the trainer, ONNX export, PPO fine-tuning, tuning."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
import torch

from nets.checkpoints import CheckpointError
from nets.cli.options import replay_options
from nets.export import ExportError, export_onnx, random_net
from nets.model import load_checkpoint
from nets.pg import PgRun, PgSettings
from nets.train import TrainError, Trainer, TrainSettings
from nets.tune import TuneSettings, run_study


# ------------------------------------------------------------ from nets.train_cli
_D = TrainSettings()


@click.command("train")
@click.option("--data", "data_dirs", multiple=True, required=True,
              type=click.Path(exists=True, file_okay=False), help="Shard directory (repeatable).")
@click.option("--run-dir", default=_D.run_dir, show_default=True,
              help="Checkpoint, metrics.csv, tb/ and plots go here; an existing run resumes.")
@click.option("--config", default=_D.config, show_default=True, help="Net config, e.g. b6c64.")
@click.option("--batch-size", default=_D.batch_size, show_default=True, help="Global batch.")
@click.option("--steps", default=_D.steps, show_default=True, help="Total steps to reach.")
@click.option("--minutes", default=_D.minutes, show_default=True,
              help="Stop this run after so many minutes (0: no limit).")
@click.option("--fit-steps/--no-fit-steps", default=_D.fit_steps, show_default=True,
              help="With --minutes: time the first steps and lower --steps to what fits, so the "
                   "learning-rate schedule ends with the time (the fitted --steps is logged).")
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default=_D.optimizer,
              show_default=True)
@click.option("--lr", default=_D.lr, show_default=True)
@click.option("--momentum", default=_D.momentum, show_default=True)
@click.option("--weight-decay", default=_D.weight_decay, show_default=True)
@click.option("--lr-schedule", type=click.Choice(["constant", "cosine", "step"]),
              default=_D.lr_schedule, show_default=True)
@click.option("--warmup-steps", default=_D.warmup_steps, show_default=True)
@click.option("--window", default=_D.window, show_default=True,
              help="Train on the newest this many shards.")
@click.option("--epoch-steps", default=_D.epoch_steps, show_default=True,
              help="Re-list the newest shards after this many steps (0: after a full pass).")
@click.option("--new-window", is_flag=True,
              help="On resume, drop the unfinished pass and take the newest shards now.")
@replay_options(_D.replay_fraction)
@click.option("--policy-weight", default=_D.policy_weight, show_default=True)
@click.option("--value-weight", default=_D.value_weight, show_default=True)
@click.option("--score-weight", default=_D.score_weight, show_default=True)
@click.option("--ownership-weight", default=_D.ownership_weight, show_default=True)
@click.option("--teacher-mix", default=_D.teacher_mix, show_default=True,
              help="Value/score/ownership targets: this share from the teacher's evaluation "
              "(shards from `zerogo data distil`), the rest from the game.")
@click.option("--amp/--no-amp", default=_D.amp, show_default=True,
              help="Mixed precision: bf16 autocast on a GPU that has it (fp16 with loss scaling on "
              "older ones), bf16 on a CPU with AMX (2-4x fp32 there); fp32 on other CPUs.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=_D.device,
              show_default=True)
@click.option("--seed", default=_D.seed, show_default=True)
@click.option("--checkpoint-minutes", default=_D.checkpoint_minutes, show_default=True)
@click.option("--checkpoint-every", default=_D.checkpoint_every, show_default=True,
              help="Also checkpoint every N steps (0: off).")
@click.option("--log-every", default=_D.log_every, show_default=True)
@click.option("--batch-log", default="", help="Append 'step epoch cursor hash' per batch here.")
@click.option("--init", default="", help="Start a fresh run from this checkpoint's weights (a "
              "smaller config's are grown into --config with the same outputs).")
@click.option("--ratings", default="", help="step,elo CSV to plot as elo.png.")
@click.option("--tensorboard/--no-tensorboard", default=True, show_default=True)
@click.option("--threads", default=0, help="torch CPU threads (0: torch's default).")
def train_command(threads, **kwargs):
    """Train on the newest shards; run again with the same --run-dir to resume.

    Several processes or machines: torchrun --nproc_per_node=N -m gtp.cli train ...
    (DDP; gloo on CPUs, NCCL on GPUs).
    """
    import torch

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if threads:
        torch.set_num_threads(threads)
    kwargs["data_dirs"], kwargs["replay_dirs"] = list(kwargs["data_dirs"]), list(kwargs["replay_dirs"])
    try:
        trainer = Trainer(TrainSettings(**kwargs))
        try:
            last = trainer.run()
        finally:
            trainer.close()
    except (TrainError, CheckpointError) as exc:
        raise click.ClickException(str(exc)) from None
    if trainer.dist.main:
        summary = ", ".join(f"{k}={v:.4g}" for k, v in last.items())
        click.echo(f"step {trainer.step}: {summary}", err=True)

# ------------------------------------------------------------ from nets.export
@click.command("export")
@click.argument("checkpoint", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The .onnx file to write (e.g. weights/zerogo-9x9.onnx).")
@click.option("--random", "random_config", metavar="CONFIG",
              help="Export a randomly initialised net of this config instead of a checkpoint.")
@click.option("--fp16", is_flag=True, help="Half-precision weights and inputs (for GPUs).")
@click.option("--board-sizes", default=None, help="Board sizes trained on, e.g. '9' or '9,13,19'.")
@click.option("--provenance", default=None, help="One line: data, run, who made it.")
@click.option("--seed", default=0, show_default=True, help="Seed for --random.")
def export_command(checkpoint, output, random_config, fp16, board_sizes, provenance, seed):
    """Export CHECKPOINT (or --random CONFIG) to ONNX and check it against torch."""
    if (checkpoint is None) == (random_config is None):
        raise click.UsageError("give either a CHECKPOINT or --random CONFIG")
    if random_config:
        model, meta = random_net(random_config, seed), {}
    else:
        model, ckpt = load_checkpoint(checkpoint)
        meta = dict(ckpt.get("meta") or {})
        meta["training_step"] = ckpt.get("step", meta.get("training_step", 0))
        meta.setdefault("provenance", f"checkpoint {Path(checkpoint).name}")
    if board_sizes:
        meta["board_sizes"] = board_sizes
    if provenance:
        meta["provenance"] = provenance
    sizes = tuple(int(s) for s in str(meta.get("board_sizes", "9,13,19")).split(",") if s)
    try:
        diff = export_onnx(model, output, meta, fp16=fp16, check_sizes=sizes or (9,))
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {output} ({model.config.name}, {'fp16' if fp16 else 'fp32'}); "
               f"largest |torch - onnxruntime| = {diff:.3g}", err=True)

# ------------------------------------------------------------ from nets.pg
_PG = PgSettings()   # option defaults come from the settings dataclass


@click.command("train-pg")
@click.option("--start", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Checkpoint (.pt) to fine-tune, e.g. the supervised net.")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False))
@click.option("--board-size", type=click.IntRange(2, 25), default=_PG.board_size, show_default=True)
@click.option("--komi", type=float, default=_PG.komi,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--iterations", type=click.IntRange(1), default=_PG.iterations, show_default=True)
@click.option("--games", type=click.IntRange(2), default=_PG.games, show_default=True,
              help="Games per iteration (played at once).")
@click.option("--max-moves", type=click.IntRange(1), default=_PG.max_moves)
@click.option("--ppo-epochs", type=click.IntRange(1), default=_PG.ppo_epochs, show_default=True)
@click.option("--minibatch", type=click.IntRange(1), default=_PG.minibatch, show_default=True)
@click.option("--clip", type=click.FloatRange(0, 1), default=_PG.clip, show_default=True)
@click.option("--lr", type=float, default=_PG.lr, show_default=True)
@click.option("--entropy", type=float, default=_PG.entropy, show_default=True)
@click.option("--pool-every", type=click.IntRange(1), default=_PG.pool_every, show_default=True)
@click.option("--train-trunk/--head-only", default=_PG.train_trunk, show_default=True)
@click.option("--eval-games", type=click.IntRange(2), default=_PG.eval_games, show_default=True)
@click.option("--eval-visits", type=click.IntRange(0), default=_PG.eval_visits, show_default=True,
              help="Also measure the win rate with MCTS at this many visits (0: no).")
@click.option("--seed", type=int, default=_PG.seed, show_default=True)
def train_pg_command(**kw):
    """PPO fine-tuning of the policy by search-free self-play against a pool of earlier nets."""
    torch.set_num_threads(max(1, min(torch.get_num_threads(), 2)))
    report = PgRun(PgSettings(**kw)).run()
    click.echo(json.dumps(report, indent=1))


# ------------------------------------------------------------ from nets.tune
_TUNE = TuneSettings()   # option defaults come from the settings dataclass


@click.command("tune")
@click.option("--mode", type=click.Choice(["search", "train"]), default=_TUNE.mode, show_default=True)
@click.option("--study", default=_TUNE.study, show_default=True, help="Study name in the storage.")
@click.option("--storage", default=_TUNE.storage, show_default=True,
              help="SQLite file (or any optuna storage URL); reruns resume the study.")
@click.option("--trials", type=click.IntRange(1), default=_TUNE.trials, show_default=True,
              help="Total finished trials wanted.")
@click.option("--sampler", type=click.Choice(["tpe", "random"]), default=_TUNE.sampler, show_default=True)
@click.option("--seed", type=int, default=_TUNE.seed, show_default=True)
@click.option("--network", default=_TUNE.network, show_default=True, help="search mode: the net.")
@click.option("--board-size", type=click.IntRange(2, 25), default=_TUNE.board_size, show_default=True)
@click.option("--komi", type=float, default=_TUNE.komi,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--games", type=click.IntRange(2), default=_TUNE.games, show_default=True,
              help="search mode: match games per trial.")
@click.option("--visits", type=click.IntRange(1), default=_TUNE.visits, show_default=True)
@click.option("--parallel", type=click.IntRange(1), default=_TUNE.parallel, show_default=True)
@click.option("--data-dir", "data_dirs", multiple=True, help="train mode: training shards.")
@click.option("--val-dir", "val_dirs", multiple=True, help="train mode: held-out shards.")
@click.option("--config", default=_TUNE.config, show_default=True, help="train mode: net config.")
@click.option("--steps", type=click.IntRange(1), default=_TUNE.steps, show_default=True)
@click.option("--run-dir", default=_TUNE.run_dir, show_default=True)
def tune_command(**kw):
    """Tune search parameters (by match score) or training ones (by validation loss)."""
    kw["data_dirs"], kw["val_dirs"] = list(kw["data_dirs"]), list(kw["val_dirs"])
    result = run_study(TuneSettings(**kw))
    click.echo(json.dumps(result, indent=1))
