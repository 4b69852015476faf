"""Self-play job plumbing: one process's share of a run, several processes with one progress bar, merged counts.

Used by ``zerogo selfplay`` (``nets.selfplay_cli``) and the Ray workers (``nets.ray_workers``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import click

from nets.selfplay import SelfPlayConfig, resign_threshold_for, run_games, summarize

log = logging.getLogger(__name__)


@dataclass
class SelfPlayJob:
    """One process's share of a self-play run."""

    network: str
    config: SelfPlayConfig
    games: int
    parallel: int
    out_dir: str
    prefix: str
    device: str = "cpu"
    threads: int = 1
    runtime: str = "onnxruntime"    # CPU inference runtime for ONNX nets (engine.runtimes)
    precision: str = "fp32"         # CPU inference precision for ONNX nets


def plan_jobs(network: str, cfg: SelfPlayConfig, games: int, workers: int, parallel: int, out_dir: str,
              prefix: str, device: str = "cpu", threads: int = 1, runtime: str = "onnxruntime",
              precision: str = "fp32") -> list[SelfPlayJob]:
    """One job per worker that gets games: its share, seed + index, file prefix ``{prefix}{index}``.

    Local processes and Ray actors both take their jobs from here, so both run
    the network with the same device, threads, runtime and precision.
    """
    jobs = []
    for i, n in enumerate(split_games(games, workers)):
        if n > 0:
            c = replace(cfg, seed=None if cfg.seed is None else cfg.seed + i)
            jobs.append(SelfPlayJob(network, c, n, parallel, out_dir, f"{prefix}{i}", device, threads,
                                    runtime, precision))
    return jobs


def run_job(job: SelfPlayJob, progress=None, parent: int | None = None) -> dict:
    """Play a job's games and write them out; returns counts (see ``summarize``).

    ``parent``: the process that started this one; if it dies (killed, not
    interrupted), the games finished so far are flushed and this one exits
    rather than play on unwatched.
    """
    import torch

    from nets.netload import open_evaluator
    from nets.selfplay_io import GameSink

    torch.set_num_threads(job.threads)
    evaluator = open_evaluator(job.network, job.device, job.threads, runtime=job.runtime,
                               precision=job.precision)
    sink = GameSink(job.out_dir, job.prefix)
    if parent is not None:
        watch_parent(parent, sink)

    def on_game(g) -> None:
        """Write a finished game and report it."""
        sink(g)
        if progress is not None:
            progress.put(len(g.moves))

    start = time.perf_counter()
    try:
        games, batcher = run_games(evaluator, job.config, job.games, job.parallel, on_game)
    finally:
        shards = sink.close()
        evaluator.close()
    out = summarize(games)
    out.update(seconds=time.perf_counter() - start, shards=[str(p) for p in shards],
               mean_batch=batcher.mean_batch(), positions_evaluated=batcher.positions,
               network_seconds=batcher.network_seconds, network_calls=batcher.calls,
               runtime=evaluator_runtime(evaluator))
    return out


def watch_parent(parent: int, sink, every: float = 1.0) -> threading.Thread:
    """A daemon thread that flushes ``sink`` and ends this process once ``parent`` is no longer its parent."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        log.warning("self-play worker %d: its parent %d is gone; flushing the finished games and exiting",
                    os.getpid(), parent)
        sink.close()
        os._exit(3)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


def evaluator_runtime(evaluator) -> str:
    """What ran the network: ``runtime precision`` for ONNX nets (after ``auto`` chose), else the class."""
    while getattr(evaluator, "inner", None) is not None:     # a cache around the real evaluator
        evaluator = evaluator.inner
    return getattr(evaluator, "runtime", None) or type(evaluator).__name__


def _child(job: SelfPlayJob, progress, results) -> None:
    """Process entry point: run the job, report the counts (or the error)."""
    try:
        results.put(run_job(job, progress, parent=os.getppid()))
    except Exception as exc:  # sent to the parent, which raises it
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def split_games(games: int, processes: int) -> list[int]:
    """Share ``games`` out over ``processes`` as evenly as possible."""
    base, extra = divmod(games, processes)
    return [base + (1 if i < extra else 0) for i in range(processes)]


def run_processes(jobs: list[SelfPlayJob], total_games: int) -> list[dict]:
    """Run jobs in separate processes with one progress bar; returns their counts."""
    from tqdm import tqdm

    ctx = mp.get_context("spawn")
    progress, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(j, progress, results)) for j in jobs]
    for p in procs:
        p.start()
    outs: list[dict] = []
    with tqdm(total=total_games, unit="game", desc="selfplay") as bar:
        while len(outs) < len(jobs):
            while not progress.empty():
                progress.get()
                bar.update(1)
            while not results.empty():
                outs.append(results.get())
            if len(outs) < len(jobs) and not any(p.is_alive() for p in procs) and results.empty():
                break
            time.sleep(0.1)
        while not progress.empty():
            progress.get()
            bar.update(1)
    for p in procs:
        p.join()
    errors = [o["error"] for o in outs if "error" in o]
    if errors or len(outs) < len(jobs):
        raise click.ClickException("self-play worker failed: " + "; ".join(errors or ["died"]))
    return outs


def merge_counts(outs: list[dict], wall: float) -> dict:
    """Add up the workers' counts and work out throughput."""
    keys = ("games", "moves", "samples", "black_wins", "white_wins", "resigned",
            "played_out_checks", "false_resignations", "positions_evaluated")
    total = {k: sum(o[k] for o in outs) for k in keys}
    total["seconds"] = wall
    total["processes"] = len(outs)
    total["games_per_hour"] = 3600.0 * total["games"] / wall if wall > 0 else 0.0
    total["moves_per_second"] = total["moves"] / wall if wall > 0 else 0.0
    total["evals_per_second"] = total["positions_evaluated"] / wall if wall > 0 else 0.0
    # the share of the games' time spent inside network runs (the rest: trees, games, waiting for each other)
    played = sum(o["seconds"] for o in outs)
    total["network_share"] = sum(o["network_seconds"] for o in outs) / played if played > 0 else 0.0
    calls = sum(o["network_calls"] for o in outs)
    total["mean_batch"] = total["positions_evaluated"] / calls if calls else 0.0
    total["shards"] = [s for o in outs for s in o["shards"]]
    total["runtimes"] = sorted({o["runtime"] for o in outs})
    lows = [low for o in outs for low in o["winner_lows"]]
    # games played to the end whatever the values: the threshold that resigns 5% of them falsely
    total["resign_calibration_games"] = len(lows)
    total["resign_threshold_5pct"] = resign_threshold_for(lows)
    return total


def default_processes(device: str, threads: int) -> int:
    """Worker processes when none are asked for: one per ``threads`` usable CPU cores for CPU inference
    (one process's tree work runs while another's network does), else one."""
    if device != "cpu":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, threads))


def selfplay(network: str, cfg: SelfPlayConfig, games: int, parallel: int, processes: int,
             out_dir: str, device: str = "cpu", threads: int = 1, runtime: str = "onnxruntime",
             precision: str = "fp32") -> dict:
    """Run self-play over ``processes`` processes (0: ``default_processes``); returns merged counts and throughput."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    processes = processes or default_processes(device, threads)
    tag = f"{int(time.time())}-{os.getpid()}"
    jobs = plan_jobs(network, cfg, games, processes, parallel, out_dir, f"sp-{tag}-p", device, threads,
                     runtime, precision)
    start = time.perf_counter()
    outs = run_processes(jobs, games) if len(jobs) > 1 else [_inline(jobs[0], games)]
    summary = merge_counts(outs, time.perf_counter() - start)
    (Path(out_dir) / f"selfplay-{tag}.json").write_text(json.dumps(summary, indent=1))
    return summary


def _inline(job: SelfPlayJob, total: int) -> dict:
    """Run a single job in this process with a progress bar."""
    from tqdm import tqdm

    class _Bar:
        def __init__(self, bar):
            self.bar = bar

        def put(self, _moves) -> None:
            """One more game."""
            self.bar.update(1)

    with tqdm(total=total, unit="game", desc="selfplay") as bar:
        return run_job(job, _Bar(bar))
