"""``zerogo train``: train the network on shards (resumable; torchrun for several processes)."""

from __future__ import annotations

import logging

import click

from nets.checkpoints import CheckpointError
from nets.train import Trainer, TrainError, TrainSettings

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
@click.option("--policy-weight", default=_D.policy_weight, show_default=True)
@click.option("--value-weight", default=_D.value_weight, show_default=True)
@click.option("--score-weight", default=_D.score_weight, show_default=True)
@click.option("--ownership-weight", default=_D.ownership_weight, show_default=True)
@click.option("--amp/--no-amp", default=_D.amp, show_default=True,
              help="Mixed precision (GPU only).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=_D.device,
              show_default=True)
@click.option("--seed", default=_D.seed, show_default=True)
@click.option("--checkpoint-minutes", default=_D.checkpoint_minutes, show_default=True)
@click.option("--checkpoint-every", default=_D.checkpoint_every, show_default=True,
              help="Also checkpoint every N steps (0: off).")
@click.option("--log-every", default=_D.log_every, show_default=True)
@click.option("--batch-log", default="", help="Append 'step epoch cursor hash' per batch here.")
@click.option("--init", default="", help="Start a fresh run from this checkpoint's weights.")
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
    kwargs["data_dirs"] = list(kwargs["data_dirs"])
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
