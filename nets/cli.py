"""The training package's subcommands (``zerogo selfplay``, ``train``, ``data``, ``export``, ``loop``,
``train-pg``, ``tune``, ``ladder``, ``bench nn``, ``bench search``), named by module string in ``gtp/cli.py``.

The library code they call lives in the modules named in each section; every
option's default is written once, in the settings dataclass where there is one.

``zerogo selfplay``: self-play games to SGF and training shards, several processes at once.
Each process opens its own evaluator (torch on a GPU, ONNX Runtime or torch
on the CPU) and plays ``--parallel-games`` games at once through one batching
evaluator (see ``nets.selfplay``). Outputs go to ``OUT_DIR/sgf`` and
``OUT_DIR/shards`` with a per-process prefix; rerunning adds games, never
overwrites. A progress bar counts finished games.

Example::

    zerogo selfplay --network weights/best.onnx --games 200 --parallel-games 16 \\
        --processes 2 --visits 64 --fast-visits 16 --full-prob 0.25 --out-dir runs/gen1
"""

from __future__ import annotations

import importlib.util
import os
import json
import logging
import re
import tempfile
import time
from pathlib import Path

import click
import torch

from engine.evaluator import physical_cores
from gtp.bench.search import LZ_BOARD, NET_SHAPES, bench_zerogo, leelaz_weights_lines, run_leelaz
from nets.bench_nn import (BenchSettings, bench_network, echo_line, gpu_peak, matmul_peak,
                            run_configs)
from nets.bench_search import make_random_onnx
from nets.checkpoints import CheckpointError
from nets.data import DataSettings, convert
from nets.distil import DistilSettings, run_distil
from nets.distil_eval import evaluate_net
from nets.export import ExportError, export_onnx, random_net
from nets.gnugo_games import GnuGoGameSettings, generate
from nets.ladder import ladder, plot, table
from nets.loop import Loop, LoopSettings
from nets.model import load_checkpoint
from nets.pg import PgRun, PgSettings
from nets.selfplay import SelfPlayConfig
from nets.selfplay_jobs import selfplay
from nets.selfplay_search import SearchSettings
from nets.shards import list_shards
from nets.train import TrainError, Trainer, TrainSettings
from nets.tune import TuneSettings, run_study

log = logging.getLogger(__name__)

# Option defaults are the settings dataclasses' own (written once there).
GAME, SEARCH = SelfPlayConfig(), SearchSettings()


@click.command("selfplay")
@click.option("--network", default="uniform", show_default=True,
              help="ONNX file, torch checkpoint (.pt) or 'uniform'.")
@click.option("--games", type=click.IntRange(1), default=100, show_default=True)
@click.option("--parallel-games", type=click.IntRange(1), default=16, show_default=True,
              help="Games played at once per process (one shared evaluator batch).")
@click.option("--processes", type=click.IntRange(1), default=1, show_default=True)
@click.option("--board-size", type=click.IntRange(2, 25), default=GAME.board_size, show_default=True)
@click.option("--komi", type=float, default=None,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--rules", default=GAME.rules, show_default=True)
@click.option("--visits", type=click.IntRange(1), default=SEARCH.visits, show_default=True)
@click.option("--fast-visits", type=click.IntRange(1), default=SEARCH.fast_visits, show_default=True)
@click.option("--full-prob", type=click.FloatRange(0, 1), default=GAME.full_prob, show_default=True,
              help="Playout cap randomization: chance a move gets a full search (and a sample).")
@click.option("--root", type=click.Choice(["puct", "gumbel"]), default=SEARCH.root, show_default=True)
@click.option("--c-puct", type=float, default=SEARCH.c_puct, show_default=True)
@click.option("--temperature", type=float, default=SEARCH.temperature, show_default=True)
@click.option("--temperature-moves", type=click.IntRange(0), default=SEARCH.temperature_moves, show_default=True)
@click.option("--resign-threshold", type=click.FloatRange(0, 1), default=GAME.resign_threshold, show_default=True,
              help="Root win rate below which a player resigns (0: never resign).")
@click.option("--resign-playout-fraction", type=click.FloatRange(0, 1), default=GAME.resign_playout_fraction,
              show_default=True)
@click.option("--td-lambda", type=click.FloatRange(0, 1), default=GAME.td_lambda, show_default=True,
              help="1: value target = game result; < 1: TD(lambda) mix with search values.")
@click.option("--max-moves", type=click.IntRange(1), default=None)
@click.option("--device", default="cpu", show_default=True, help="torch device for .pt networks.")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="Network threads per process.")
@click.option("--runtime", type=click.Choice(["onnxruntime", "openvino", "auto"]), default="onnxruntime",
              show_default=True, help="CPU inference runtime for .onnx networks (engine.runtimes).")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "int8", "auto"]), default="fp32",
              show_default=True, help="CPU inference precision for .onnx networks.")
@click.option("--seed", type=int, default=None)
@click.option("--ray-address", default=None,
              help="Run as Ray actors: 'auto' (cluster from ray start), HOST:PORT, or 'local'.")
@click.option("--ray-workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--out-dir", type=click.Path(file_okay=False), required=True)
def selfplay_command(network, games, parallel_games, processes, board_size, komi, rules, visits,
                     fast_visits, full_prob, root, c_puct, temperature, temperature_moves,
                     resign_threshold, resign_playout_fraction, td_lambda, max_moves, device,
                     threads, runtime, precision, seed, ray_address, ray_workers, out_dir):
    """Play self-play games; write SGF (visit counts as comments) and training shards."""
    search = SearchSettings(visits=visits, fast_visits=fast_visits, root=root, c_puct=c_puct,
                            temperature=temperature, temperature_moves=temperature_moves)
    cfg = SelfPlayConfig(board_size=board_size, rules=rules, komi=komi, search=search,
                         full_prob=full_prob,
                         resign_threshold=resign_threshold,
                         resign_playout_fraction=resign_playout_fraction, td_lambda=td_lambda,
                         max_moves=max_moves, seed=seed)
    if ray_address:
        from nets.ray_workers import ray_selfplay
        summary = ray_selfplay(network, cfg, games, ray_workers, parallel_games, out_dir,
                               None if ray_address == "local" else ray_address,
                               device=device, threads=threads, runtime=runtime, precision=precision)
    else:
        summary = selfplay(network, cfg, games, parallel_games, processes, out_dir, device, threads,
                           runtime, precision)
    click.echo(json.dumps({k: v for k, v in summary.items() if k != "shards"}, indent=1))


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
@click.option("--teacher-mix", default=_D.teacher_mix, show_default=True,
              help="Value/score/ownership targets: this share from the teacher's evaluation "
              "(shards from `zerogo data distil`), the rest from the game.")
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


# ------------------------------------------------------------ from nets.data_cli
@click.group("data")
def data_group():
    """Make training data (shards) from game records."""


@data_group.command("from-sgf")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for the shards and PREFIX-progress.json (resumes if present).")
@click.option("--positions-per-shard", default=8192, show_default=True)
@click.option("--min-moves", default=10, show_default=True, help="Skip shorter games.")
@click.option("--prefix", default="sgf", show_default=True, help="Shard file name prefix.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def from_sgf(inputs, out_dir, positions_per_shard, min_moves, prefix, quiet):
    """Convert SGF files, directories, .zip and .tar(.gz) archives into shards.

    Broken or unsupported games are skipped and counted by reason. Run the same
    command again to resume after an interruption: games already in shards are
    not read twice.
    """
    if positions_per_shard < 1 or min_moves < 0:
        raise click.BadParameter("--positions-per-shard must be >= 1 and --min-moves >= 0")
    settings = DataSettings(min_moves=min_moves, positions_per_shard=positions_per_shard,
                            prefix=prefix)
    try:
        prog = convert(list(inputs), out_dir, settings, progress_bar=not quiet)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"games used: {prog.games}, positions: {prog.positions}, "
               f"shards: {prog.next_index}, skipped: {sum(prog.skipped.values())}", err=True)
    for reason, n in sorted(prog.skipped.items()):
        click.echo(f"  skipped {n:6d}  {reason}  e.g. {prog.examples.get(reason, [''])[0]}",
                   err=True)





# ------------------------------------------------------------ teacher data (nets.distil)
_DISTIL = DistilSettings()


def _int_list(text: str) -> tuple:
    """``9,13,19`` -> (9, 13, 19)."""
    return tuple(int(x) for x in text.split(",") if x.strip())


def _float_list(text: str) -> tuple:
    """``1,2`` -> (1.0, 2.0)."""
    return tuple(float(x) for x in text.split(",") if x.strip())


@data_group.command("distil")
@click.option("--teacher", required=True, type=click.Path(exists=True, dir_okay=False),
              help="KataGo model (.bin.gz, converted once into the ONNX cache) or its ONNX file.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Shards, sgf/ and PREFIX-progress.json go here (a rerun carries on).")
@click.option("--games", default=_DISTIL.games, show_default=True, help="Total games to reach.")
@click.option("--minutes", default=_DISTIL.minutes, show_default=True,
              help="Start no new game after so many minutes of this run (0: no limit).")
@click.option("--parallel", default=_DISTIL.parallel, show_default=True,
              help="Games in flight sharing one batched teacher.")
@click.option("--sizes", default="9", show_default=True, help="Board sizes, e.g. 9,13,19.")
@click.option("--size-weights", default="", help="Relative weights of --sizes (default equal).")
@click.option("--rules", default=",".join(_DISTIL.rules), show_default=True,
              help="Rule sets to draw from (chinese, japanese, ...).")
@click.option("--komi-spread", default=_DISTIL.komi_spread, show_default=True,
              help="Komi = the rules' usual komi + a multiple of 0.5 within +-this.")
@click.option("--handicap-prob", default=_DISTIL.handicap_prob, show_default=True)
@click.option("--opening-moves", default=_DISTIL.opening_moves, show_default=True,
              help="Play 0..N uniformly random first moves.")
@click.option("--policy", type=click.Choice(["raw", "search"]), default=_DISTIL.policy,
              show_default=True, help="Policy target: the teacher's raw policy, or a search's "
              "visit distribution (--visits).")
@click.option("--visits", default=_DISTIL.visits, show_default=True)
@click.option("--temperature", default=_DISTIL.temperature, show_default=True)
@click.option("--temperature-moves", default=_DISTIL.temperature_moves, show_default=True,
              help="Plies at --temperature (-1: area / 7); --late-temperature after.")
@click.option("--late-temperature", default=_DISTIL.late_temperature, show_default=True)
@click.option("--resign-threshold", type=click.FloatRange(0, 1),
              default=_DISTIL.resign_threshold, show_default=True,
              help="Resign when the teacher's win rate stays below this (0: never; never in "
              "handicap games).")
@click.option("--max-moves", default=_DISTIL.max_moves, show_default=True, help="0: 2 * area.")
@click.option("--positions-per-shard", default=_DISTIL.positions_per_shard, show_default=True)
@click.option("--flush-minutes", default=_DISTIL.flush_minutes, show_default=True,
              help="Also write the finished games out after so many minutes.")
@click.option("--prefix", default=_DISTIL.prefix, show_default=True,
              help="Shard prefix (one per process writing the same folder).")
@click.option("--seed", default=_DISTIL.seed, show_default=True)
@click.option("--threads", default=_DISTIL.threads, show_default=True,
              help="ONNX Runtime threads for the teacher (0: physical cores).")
@click.option("--batch-size", default=_DISTIL.batch_size, show_default=True)
@click.option("--log-seconds", default=_DISTIL.log_seconds, show_default=True,
              help="Log the throughput this often (0: never).")
@click.option("--quiet", is_flag=True, help="Warnings only on stderr.")
def distil_command(sizes, size_weights, rules, quiet, **kwargs):
    """Teacher games with a KataGo network as the player, as zerogo shards.

    Every teacher move is a row in zerogo's own features with the teacher's
    policy, the game's result (and margin and ownership when played out) and
    the teacher's value, score lead and ownership. Interrupt it at any time
    (Ctrl-C, SIGTERM) and run the same command again to carry on.
    """
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        s = DistilSettings(sizes=_int_list(sizes), size_weights=_float_list(size_weights),
                           rules=tuple(r.strip() for r in rules.split(",") if r.strip()),
                           **kwargs)
        s.check()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    t0, c0 = time.monotonic(), time.process_time()
    try:
        prog = run_distil(s)
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    hours = max(prog.wall_s, 1e-9) / 3600
    click.echo(f"games: {prog.games}, positions: {prog.positions} ({prog.by_size}), "
               f"teacher evals: {prog.evals}; this run {wall:.0f} s wall, {cpu:.0f} s CPU; all runs: "
               f"{prog.games / hours:.0f} games/h, {prog.positions / hours:.0f} positions/h "
               f"(load average {os.getloadavg()[0]:.1f})", err=True)


@data_group.command("distil-eval")
@click.argument("nets", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--shards", "shard_args", multiple=True, required=True, type=click.Path(exists=True),
              help="Held-out teacher shards (files or folders).")
def distil_eval_command(nets, shard_args):
    """Agreement of zerogo nets with the teacher on held-out teacher shards (one JSON line each).

    Policy cross-entropy against the teacher's policy, share of rows where the
    net's top move is the teacher's, value MSE against the teacher and against
    the game result, mean absolute score error against the teacher's lead.
    """
    shards: list[Path] = []
    for s in shard_args:
        shards += list_shards(s) if Path(s).is_dir() else [Path(s)]
    for net in nets:
        click.echo(json.dumps(evaluate_net(Path(net), shards)))


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


# ------------------------------------------------------------ from nets.loop
_LOOP = LoopSettings()   # option defaults come from the settings dataclass


@click.command("loop")
@click.option("--run-dir", required=True, type=click.Path(file_okay=False))
@click.option("--start", default=_LOOP.start, help="Starting checkpoint (.pt), e.g. the supervised net.")
@click.option("--config", default=_LOOP.config, show_default=True, help="Net config when --start is not given.")
@click.option("--board-size", type=click.IntRange(2, 25), default=_LOOP.board_size, show_default=True)
@click.option("--komi", type=float, default=_LOOP.komi,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--generations", type=click.IntRange(1), default=_LOOP.generations, show_default=True)
@click.option("--games", type=click.IntRange(1), default=_LOOP.games, show_default=True)
@click.option("--parallel-games", "parallel", type=click.IntRange(1), default=_LOOP.parallel, show_default=True)
@click.option("--processes", type=click.IntRange(1), default=_LOOP.processes, show_default=True)
@click.option("--visits", type=click.IntRange(1), default=_LOOP.visits, show_default=True)
@click.option("--fast-visits", type=click.IntRange(1), default=_LOOP.fast_visits, show_default=True)
@click.option("--full-prob", type=click.FloatRange(0, 1), default=_LOOP.full_prob, show_default=True)
@click.option("--td-lambda", type=click.FloatRange(0, 1), default=_LOOP.td_lambda, show_default=True)
@click.option("--train-steps", type=click.IntRange(1), default=_LOOP.train_steps, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=_LOOP.batch_size, show_default=True)
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default=_LOOP.optimizer, show_default=True)
@click.option("--lr", type=float, default=_LOOP.lr, show_default=True)
@click.option("--window", type=click.IntRange(1), default=_LOOP.window, show_default=True)
@click.option("--data-dir", "data_dirs", multiple=True, help="Extra shard dirs (e.g. supervised data).")
@click.option("--gate-backend", type=click.Choice(["gtp", "arena"]), default=_LOOP.gate_backend, show_default=True)
@click.option("--gate-games", type=click.IntRange(2), default=_LOOP.gate_games, show_default=True)
@click.option("--gate-visits", type=click.IntRange(1), default=_LOOP.gate_visits, show_default=True)
@click.option("--gate-parallel", type=click.IntRange(1), default=_LOOP.gate_parallel, show_default=True)
@click.option("--elo1", type=float, default=_LOOP.elo1, show_default=True, help="SPRT H1 Elo (H0 is 0).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=_LOOP.min_score, show_default=True,
              help="Promote an undecided candidate that scores at least this.")
@click.option("--anchor-games", type=click.IntRange(0), default=_LOOP.anchor_games, show_default=True,
              help="Games per anchor in the rating step (0: no rating).")
@click.option("--opening-moves", type=click.IntRange(0), default=_LOOP.opening_moves, show_default=True,
              help="Plies of self-play games used as openings in gate and rating matches.")
@click.option("--anchor-gnugo", multiple=True, type=int, default=(1, 10), show_default=True)
@click.option("--seed", type=int, default=_LOOP.seed, show_default=True)
def loop_command(**kw):
    """Self-play, train, export, gate (SPRT) and promote, for N generations; resumable."""
    kw["data_dirs"] = list(kw["data_dirs"])
    kw["anchor_gnugo"] = list(kw["anchor_gnugo"])
    loop = Loop(LoopSettings(**kw))
    history = loop.run_generations()
    click.echo(json.dumps(history, indent=1))


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


# ------------------------------------------------------------ from nets.ladder
@click.command("ladder")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_prefix", type=click.Path(dir_okay=False, path_type=Path))
def ladder_command(run_dir: Path, out_prefix: Path) -> None:
    """Summarise a loop run: OUT_PREFIX.json, .md (table) and .png (Elo against compute)."""
    rows, anchor_elo, joint_anchors = ladder(run_dir)
    out_prefix.with_suffix(".json").write_text(json.dumps(
        {"anchor_elo": anchor_elo, "joint_anchor_elo": joint_anchors, "generations": rows}, indent=1))
    text = table(rows, anchor_elo, joint_anchors)
    out_prefix.with_suffix(".md").write_text(text + "\n")
    plot(rows, joint_anchors, out_prefix.with_suffix(".png"))
    click.echo(text)


# ------------------------------------------------------------ from nets.gnugo_games
_GNUGO = GnuGoGameSettings()   # option defaults come from the settings dataclass


@click.command("gnugo-games")
@click.option("--games", default=100, show_default=True, help="Number of games.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--size", default=_GNUGO.size, show_default=True)
@click.option("--komi", type=float, default=_GNUGO.komi,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--level", default=_GNUGO.level, show_default=True, help="GNU Go level.")
@click.option("--random-moves", default=_GNUGO.random_moves, show_default=True,
              help="At most this many random opening moves per game.")
@click.option("--seed", default=0, show_default=True)
@click.option("--gnugo", default=_GNUGO.gnugo, show_default=True)
def gnugo_games_command(games, out_dir, size, komi, level, random_moves, seed, gnugo):
    """Generate GNU Go self-play games as SGF files."""
    cfg = GnuGoGameSettings(size=size, komi=komi, level=level, random_moves=random_moves,
                            gnugo=gnugo)
    n = generate(Path(out_dir), games, cfg, seed)
    click.echo(f"wrote {n} games to {out_dir}", err=True)


data_group.add_command(gnugo_games_command)


# ------------------------------------------------------------ from nets.bench_nn
@click.command("nn")
@click.option("--configs", default="b6c64,b10c128,b15c192,b20c256", show_default=True)
@click.option("--sizes", default="9,19", show_default=True, help="Square board sizes.")
@click.option("--batches", default="1,8,32,128", show_default=True)
@click.option("--threads", default=0, show_default=True, help="CPU threads (0 = physical cores).")
@click.option("--backends", default="torch,onnx", show_default=True)
@click.option("--min-seconds", default=0.5, show_default=True, help="Timing per measurement.")
@click.option("--max-run-seconds", default=4.0, show_default=True,
              help="Skip a batch size whose single run would take longer than this.")
@click.option("--fp16", is_flag=True, help="Also time fp16 exports on GPU providers.")
@click.option("--peak-n", default=2048, show_default=True, help="Matrix size of the peak matmul.")
@click.option("--settings", "cpu_settings",
              default="onnxruntime:fp32,onnxruntime:int8,openvino:fp32,openvino:bf16",
              show_default=True, help="CPU runtime:precision pairs to time (engine.runtimes); "
                                      "ones that cannot load here are reported and skipped.")
@click.option("--network", "networks", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also time this network file (ONNX, or a KataGo .bin.gz; repeatable); "
                   "--configs '' skips the random nets.")
def bench_nn_command(configs, sizes, batches, threads, backends, min_seconds, max_run_seconds,
                     fp16, peak_n, cpu_settings, networks):
    """Evaluations per second and GFLOP/s of the network, against the measured matmul peak."""
    if importlib.util.find_spec("torch") is None:
        raise click.ClickException("bench nn builds random nets with torch: "
                                   "pip install -e '.[train]'")
    settings = BenchSettings(_parse(configs), _parse(sizes, int), _parse(batches, int),
                             threads or physical_cores(), min_seconds, max_run_seconds, fp16,
                             [tuple((x.split(":") + ["fp32"])[:2]) for x in _parse(cpu_settings)])
    peak, source = matmul_peak(settings.threads, peak_n, settings.min_seconds)
    peaks = {"cpu": peak, "gpu32": gpu_peak(False), "gpu16": gpu_peak(True)}
    echo_line(f"peak: {peak:.1f} GFLOP/s float32 ({source} {peak_n}x{peak_n} matmul, "
         f"{settings.threads} threads)")
    if peaks["gpu32"]:
        echo_line(f"GPU peak: {peaks['gpu32']:.0f} GFLOP/s fp32, {peaks['gpu16']:.0f} GFLOP/s fp16")
    run_configs(settings, _parse(backends), peaks)
    for path in networks:
        echo_line(f"{path.name}:")
        bench_network(path, settings, peak)
    again, _ = matmul_peak(settings.threads, peak_n, settings.min_seconds)
    echo_line(f"peak measured again at the end: {again:.1f} GFLOP/s (percentages use the first)")


# ------------------------------------------------------------ from nets.bench_search
@click.command("search")
@click.option("--sizes", default="9,19", show_default=True, help="Board sizes, comma-separated.")
@click.option("--nets", "net_names", default="b6c64,b6c128", show_default=True,
              help=f"Net shapes ({', '.join(NET_SHAPES)}).")
@click.option("--visits", default=800, show_default=True, help="Visits per zerogo search.")
@click.option("--batch-size", default=16, show_default=True, help="Leaves per network call.")
@click.option("--threads", default=1, show_default=True,
              help="Network runtime threads (Leela Zero gets the same -t).")
@click.option("--settings", default="onnxruntime:fp32", show_default=True,
              help="runtime:precision pairs to search with (engine.runtimes), e.g. "
                   "onnxruntime:fp32,onnxruntime:int8,openvino:bf16,auto:auto.")
@click.option("--leelaz", "leelaz_bin", default="/usr/games/leelaz", show_default=True,
              help="Leela Zero binary ('' to skip).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the random nets (default: a temporary folder).")
@click.option("--network", "networks", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also search with this network file (ONNX or a KataGo .bin.gz; repeatable); "
                   "--nets '' skips the random nets.")
def bench_search_command(sizes, net_names, visits, batch_size, threads, settings, leelaz_bin, workdir,
                         networks):
    """Visits per second of zerogo's search (and Leela Zero's) on random-weight nets."""
    from engine.evaluator import EvaluatorConfig, ModelLoadError, load_evaluator
    sizes_list = [int(s) for s in sizes.split(",") if s.strip()]
    names = [n.strip() for n in net_names.split(",") if n.strip()]
    unknown = [n for n in names if n not in NET_SHAPES]
    if unknown:
        raise click.BadParameter(f"unknown net shape(s) {unknown}; known: {', '.join(NET_SHAPES)}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        click.echo(f"{'engine':8} {'net':7} {'size':>5} {'runtime':>11} {'prec':>5} {'visits':>7} "
                   f"{'seconds':>8} {'visits/s':>9} {'net only':>9} {'search/net':>10} {'net %':>6} "
                   f"{'search %':>8}")
        pairs = [tuple((x.strip().split(":") + ["fp32"])[:2]) for x in settings.split(",") if x.strip()]
        for name in names:
            onnx_path = folder / f"random-{name}.onnx"
            if not onnx_path.exists():
                make_random_onnx(name, onnx_path)
            for runtime, precision in pairs:
                cfg = EvaluatorConfig(provider="cpu", threads=threads, batch_size=max(32, batch_size),
                                      cache_size=0, runtime=runtime, precision=precision)
                try:
                    evaluator = load_evaluator(onnx_path, cfg)
                except ModelLoadError as exc:
                    click.echo(f"zerogo   {name:7} {runtime}:{precision} not available: {exc}", err=True)
                    continue
                _search_rows(evaluator, name, sizes_list, visits, batch_size)
            if leelaz_bin:
                _bench_leelaz(leelaz_bin, name, folder, visits, threads)
        for path in networks:
            shape = re.search(r"b\d+c\d+(nbt)?", path.name)
            name = shape.group(0) if shape else path.stem[:10]
            for runtime, precision in pairs:
                cfg = EvaluatorConfig(provider="cpu", threads=threads, batch_size=max(32, batch_size),
                                      cache_size=0, runtime=runtime, precision=precision)
                try:
                    evaluator = load_evaluator(path, cfg)
                except ModelLoadError as exc:
                    click.echo(f"zerogo   {name:7} {runtime}:{precision} not available: {exc}", err=True)
                    continue
                _search_rows(evaluator, name, sizes_list, visits, batch_size)


def _search_rows(evaluator, name: str, sizes: list[int], visits: int, batch_size: int) -> None:
    """One ``bench search`` row per board size for an evaluator (runtime and precision included)."""
    runtime, precision = getattr(evaluator, "runtime", "onnxruntime fp32").split()
    for size in sizes:
        b = bench_zerogo(evaluator, size, visits, batch_size)
        ratio = b.rate / b.bare_rate if b.bare_rate else float("nan")
        click.echo(f"{'zerogo':8} {name:7} {size:>5} {runtime:>11} {precision:>5} {b.visits:>7} "
                   f"{b.seconds:>8.2f} {b.rate:>9.1f} {b.bare_rate:>9.1f} {100 * ratio:>9.1f}% "
                   f"{100 * (1 - b.overhead):>6.1f} {100 * b.overhead:>8.1f}")


def _parse(text: str, kind=str) -> list:
    return [kind(x) for x in text.split(",") if x.strip()]


def _bench_leelaz(binary: str, name: str, folder: Path, visits: int, threads: int = 1) -> None:
    """Write Leela Zero random weights of the same shape and run its benchmark (same threads)."""
    blocks, channels = NET_SHAPES[name]
    weights = folder / f"leelaz-random-{name}.txt"
    if not weights.exists():
        weights.write_text("\n".join(leelaz_weights_lines(blocks, channels)) + "\n")
    rate, tail = run_leelaz(binary, weights, visits, threads=threads)
    if rate is None:
        click.echo(f"leelaz   {name:7} {LZ_BOARD:>5} benchmark failed: {tail.strip()[-200:]}", err=True)
    else:
        click.echo(f"{'leelaz':8} {name:7} {LZ_BOARD:>5} {'':>11} {'fp32':>5} {'':>7} {'':>8} {rate:>9.1f}")
