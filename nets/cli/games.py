"""``zerogo selfplay``, ``loop``, ``ladder`` and ``ladder-nets``: self-play games, the generation loop, Elo ladders.

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

import json
import logging
import sys
from pathlib import Path

import click

from nets.cli.options import replay_options, resign_options, runtime_options
from nets.ladder import ladder, plot, table
from nets.net_ladder import ManifestError, write as write_net_ladder
from nets.loop import Loop, LoopSettings
from nets.model import ConfigError
from nets.selfplay import SelfPlayConfig
from nets.selfplay_jobs import selfplay
from nets.selfplay_search import SearchSettings
from nets.train_settings import TrainError


# Option defaults are the settings dataclasses' own (written once there).
GAME, SEARCH = SelfPlayConfig(), SearchSettings()


@click.command("selfplay")
@click.option("--network", default="uniform", show_default=True,
              help="ONNX file, torch checkpoint (.pt) or 'uniform'.")
@click.option("--games", type=click.IntRange(1), default=100, show_default=True)
@click.option("--parallel-games", type=click.IntRange(1), default=16, show_default=True,
              help="Games played at once per process (one shared evaluator batch).")
@click.option("--processes", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes; 0: one per --threads CPU cores (CPU inference), else 1.")
@click.option("--board-size", type=click.IntRange(2, 25), default=GAME.board_size, show_default=True)
@click.option("--komi", type=float, default=None,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--rules", default=GAME.rules, show_default=True)
@click.option("--visits", type=click.IntRange(1), default=SEARCH.visits, show_default=True)
@click.option("--fast-visits", type=click.IntRange(1), default=SEARCH.fast_visits, show_default=True)
@click.option("--full-prob", type=click.FloatRange(0, 1), default=GAME.full_prob, show_default=True,
              help="Playout cap randomization: chance a move gets a full search (and a sample).")
@click.option("--root", type=click.Choice(["puct", "gumbel"]), default=SEARCH.root, show_default=True)
@click.option("--tree", type=click.Choice(["python", "compiled", "auto"]), default="auto", show_default=True,
              envvar="ZEROGO_TREE",
              help="The search tree (zerogo gtp --tree): auto = compiled (numba) where it runs (zerogo's own "
                   "networks), else python. [env ZEROGO_TREE]")
@click.option("--c-puct", type=float, default=SEARCH.c_puct, show_default=True)
@click.option("--temperature", type=float, default=SEARCH.temperature, show_default=True)
@click.option("--temperature-moves", type=click.IntRange(0), default=SEARCH.temperature_moves, show_default=True)
@resign_options(GAME.resign_threshold, GAME.resign_playout_fraction)
@click.option("--td-lambda", type=click.FloatRange(0, 1), default=GAME.td_lambda, show_default=True,
              help="1: value target = game result; < 1: TD(lambda) mix with search values.")
@click.option("--max-moves", type=click.IntRange(1), default=None)
@click.option("--device", default="cpu", show_default=True, help="torch device for .pt networks.")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="Network threads per process.")
@runtime_options("onnxruntime", "fp32", ".onnx networks")
@click.option("--seed", type=int, default=None)
@click.option("--ray-address", default=None,
              help="Run as Ray actors: 'auto' (cluster from ray start), HOST:PORT, or 'local'.")
@click.option("--ray-workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--out-dir", type=click.Path(file_okay=False), required=True)
def selfplay_command(network, games, parallel_games, processes, board_size, komi, rules, visits,
                     fast_visits, full_prob, root, tree, c_puct, temperature, temperature_moves,
                     resign_threshold, resign_playout_fraction, td_lambda, max_moves, device,
                     threads, runtime, precision, seed, ray_address, ray_workers, out_dir):
    """Play self-play games; write SGF (visit counts as comments) and training shards."""
    search = SearchSettings(visits=visits, fast_visits=fast_visits, root=root, c_puct=c_puct,
                            temperature=temperature, temperature_moves=temperature_moves, tree=tree)
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
@click.option("--processes", type=click.IntRange(0), default=_LOOP.processes, show_default=True,
              help="Self-play worker processes; 0: one per CPU core.")
@click.option("--tree", type=click.Choice(["python", "compiled", "auto"]), default="auto", show_default=True,
              envvar="ZEROGO_TREE", help="Self-play's search tree (zerogo selfplay --tree). [env ZEROGO_TREE]")
@runtime_options(_LOOP.runtime, _LOOP.precision, "self-play (gate and rating matches stay fp32)")
@click.option("--visits", type=click.IntRange(1), default=_LOOP.visits, show_default=True)
@click.option("--fast-visits", type=click.IntRange(1), default=_LOOP.fast_visits, show_default=True)
@click.option("--full-prob", type=click.FloatRange(0, 1), default=_LOOP.full_prob, show_default=True)
@click.option("--td-lambda", type=click.FloatRange(0, 1), default=_LOOP.td_lambda, show_default=True)
@resign_options(_LOOP.resign_threshold, _LOOP.resign_playout_fraction, " in self-play")
@click.option("--resign-calibrate/--fixed-resign", default=_LOOP.resign_calibrate, show_default=True,
              help="From generation 2, resign at the threshold that would have resigned 5% of the last "
                   "generation's played-out games falsely (--resign-threshold until then), or always at "
                   "--resign-threshold.")
@click.option("--train-steps", type=click.IntRange(1), default=_LOOP.train_steps, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=_LOOP.batch_size, show_default=True)
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default=_LOOP.optimizer, show_default=True)
@click.option("--lr", type=float, default=_LOOP.lr, show_default=True)
@click.option("--window", type=click.IntRange(1), default=_LOOP.window, show_default=True)
@click.option("--data-dir", "data_dirs", multiple=True, help="Extra shard dirs (e.g. supervised data).")
@replay_options(_LOOP.replay_fraction)
@click.option("--teacher-mix", type=click.FloatRange(0, 1), default=_LOOP.teacher_mix, show_default=True,
              help="Value/score/ownership targets of shards with teacher evaluations: this share from "
                   "the teacher (zerogo train --teacher-mix).")
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
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    kw["data_dirs"], kw["replay_dirs"] = list(kw["data_dirs"]), list(kw["replay_dirs"])
    kw["anchor_gnugo"] = list(kw["anchor_gnugo"])
    try:
        history = Loop(LoopSettings(**kw)).run_generations()
    except (ConfigError, TrainError) as exc:     # a bad --start, a damaged checkpoint, no shards
        raise click.ClickException(f"{exc} (the loop state is kept: zerogo loop resumes at the "
                                   "stage it stopped in)") from None
    click.echo(json.dumps(history, indent=1))

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


# -------------------------------------------------------- from nets.net_ladder
@click.command("ladder-nets")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_prefix", type=click.Path(dir_okay=False, path_type=Path))
def ladder_nets_command(manifest: Path, out_prefix: Path) -> None:
    """Elo of shipped nets from the match folders a manifest lists: OUT_PREFIX.json, .md and .png."""
    try:
        click.echo(write_net_ladder(manifest, out_prefix))
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
