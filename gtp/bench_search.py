"""``zerogo bench search``: MCTS visits per second, beside Leela Zero on the same machine.

For each board size and net shape (``b6c64``, ``b6c128``: blocks x channels)
a random-weight network is exported to ONNX and searched from the empty board
with ``zerogo``'s searcher; the evaluator is timed apart, so each visit's time
splits into network and search overhead. Leela Zero (``leelaz --cpu-only
--benchmark``) runs in the same invocation on random weights of the same
size, written here in its version-1 text format; Leela Zero is built for
19x19 only. Both sides use ``--threads`` CPU threads (Leela Zero's ``-t``). ``--settings``
searches with each CPU runtime/precision (``engine.runtimes``); each row also
times the bare network on the search's own batch, so ``search/net`` is the
share of the network's evaluations/s that the search keeps.

Making a random ONNX net needs the training extras (torch); they are imported
only inside ``make_random_onnx``, never by ``zerogo gtp``.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from engine.evaluation import Evaluator
from engine.game import Game
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher

NET_SHAPES = {"b6c64": (6, 64), "b6c128": (6, 128)}
LZ_BOARD = 19


# ------------------------------------------------------------ Leela Zero
def leelaz_weights_lines(blocks: int, channels: int, seed: int = 0) -> list[str]:
    """Random weights in Leela Zero's v1 text format (input 18 planes, 19x19).

    Layout: ``1``; input conv (weights, biases, BN means, BN variances);
    per block two such convs; policy head conv (4 lines) + FC (2 lines);
    value head conv (4 lines) + FC1 (2) + FC2 (2).
    """
    rng = np.random.default_rng(seed)
    area = LZ_BOARD * LZ_BOARD

    def row(n, scale):
        return " ".join(f"{x:.4g}" for x in rng.normal(0.0, scale, n))

    def conv(cin, cout, k):
        fan = cin * k * k
        return [row(cout * fan, (2.0 / fan) ** 0.5), row(cout, 0.01), row(cout, 0.05),
                " ".join("1" for _ in range(cout))]

    lines = ["1"] + conv(18, channels, 3)
    for _ in range(blocks):
        lines += conv(channels, channels, 3) + conv(channels, channels, 3)
    lines += conv(channels, 2, 1) + [row((area + 1) * 2 * area, 0.01), row(area + 1, 0.01)]
    lines += conv(channels, 1, 1) + [row(256 * area, 0.01), row(256, 0.01), row(256, 0.05), row(1, 0.01)]
    return lines


def run_leelaz(binary: str, weights: Path, visits: int, timeout: float = 900.0,
               threads: int = 1) -> tuple[float | None, str]:
    """Run ``leelaz --cpu-only --benchmark -t THREADS -v N``; (visits per second or None, its last output)."""
    cmd = [binary, "--cpu-only", "--benchmark", "-w", str(weights), "-t", str(threads), "-v", str(visits)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    text = proc.stdout + proc.stderr
    visits = re.findall(r"(\d+) visits", text)
    rate = re.findall(r"([\d.]+) n/s", text)
    if rate:
        return float(rate[-1]), text[-400:]
    secs = re.findall(r"([\d.]+) seconds", text)
    if visits and secs:
        return int(visits[-1]) / float(secs[-1]), text[-400:]
    return None, text[-400:]


# ---------------------------------------------------------------- zerogo
class TimedEvaluator(Evaluator):
    """Wraps an evaluator and adds up the seconds spent in it."""

    def __init__(self, inner: Evaluator):
        self.inner, self.seconds, self.calls, self.positions = inner, 0.0, 0, 0
        self.largest: list = []   # the largest batch seen (for timing the bare network)

    def evaluate(self, positions):
        """Evaluate through the inner evaluator, timing the call."""
        if len(positions) > len(self.largest):
            self.largest = list(positions)
        t = time.perf_counter()
        out = self.inner.evaluate(positions)
        self.seconds += time.perf_counter() - t
        self.calls += 1
        self.positions += len(positions)
        return out


@dataclass
class SearchBench:
    """One measurement: visits per second and where the time went."""

    visits: int
    seconds: float
    net_seconds: float
    bare_rate: float = 0.0     # the bare network's evaluations/s at the search's batch size

    @property
    def rate(self) -> float:
        """Visits per second."""
        return self.visits / self.seconds if self.seconds else 0.0

    @property
    def overhead(self) -> float:
        """Share of the time spent outside the network (search, board, features glue)."""
        return 1.0 - self.net_seconds / self.seconds if self.seconds else 0.0


def bare_rate(evaluator, positions, seconds: float = 1.0) -> float:
    """Evaluations/s of ``evaluator.run`` (the network alone) on ``positions``, median of runs."""
    from engine import features as F
    planes, glob = F.encode_batch(positions)
    evaluator.run(planes, glob)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        evaluator.run(planes, glob)
        times.append(time.perf_counter() - t)
    return len(positions) / float(np.median(times))


def bench_zerogo(evaluator: Evaluator, size: int, visits: int, batch_size: int) -> SearchBench:
    """Search the empty board for ``visits`` visits (one warm-up search first), then time the
    bare network on the search's largest batch (``SearchBench.bare_rate``)."""
    timed = TimedEvaluator(evaluator)
    cfg = SearchConfig(batch_size=batch_size, early_stop=False, reuse_tree=False, seed=0)
    Searcher(timed, cfg).search(Game(size), MoveLimits(visits=min(64, visits)))
    timed.seconds = 0.0
    start = time.perf_counter()
    result = Searcher(timed, cfg).search(Game(size), MoveLimits(visits=visits))
    bench = SearchBench(result.playouts, time.perf_counter() - start, timed.seconds)
    if hasattr(evaluator, "run") and timed.largest:
        bench.bare_rate = bare_rate(evaluator, timed.largest)
    return bench


def make_random_onnx(name: str, path: Path) -> None:
    """Export a random-weight net of shape ``name`` (needs torch: the training extras)."""
    try:
        import torch

        from nets.export import export_onnx, random_net
        from nets.model import CONFIGS, NetConfig, ZeroGoNet
    except ImportError as exc:
        raise click.ClickException(f"making random nets needs the training extras: {exc}") from exc
    if name in CONFIGS:
        model = random_net(name, seed=0)
    else:   # b6c128: the b10c128 heads on a 6-block trunk, BatchNorm statistics as random_net sets them
        blocks, channels = NET_SHAPES[name]
        torch.manual_seed(0)
        model = ZeroGoNet(NetConfig(name, blocks, channels, 32, 32, 128))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.num_features) * 0.2 - 0.1)
                m.running_var.copy_(torch.rand(m.num_features) * 0.5 + 0.75)
        model.eval()
    export_onnx(model, path, {"provenance": "random weights for zerogo bench search"}, check_sizes=(9,))


@click.command("search")
@click.option("--sizes", default="9,19", show_default=True, help="Board sizes, comma-separated.")
@click.option("--nets", "net_names", default="b6c64,b6c128", show_default=True,
              help=f"Net shapes ({', '.join(NET_SHAPES)}).")
@click.option("--visits", default=800, show_default=True, help="Visits per zerogo search.")
@click.option("--batch-size", default=16, show_default=True, help="Leaves per network call.")
@click.option("--threads", default=1, show_default=True, help="Network runtime threads.")
@click.option("--settings", default="onnxruntime:fp32", show_default=True,
              help="runtime:precision pairs to search with (engine.runtimes), e.g. "
                   "onnxruntime:fp32,onnxruntime:int8,openvino:bf16,auto:auto.")
@click.option("--leelaz", "leelaz_bin", default="/usr/games/leelaz", show_default=True,
              help="Leela Zero binary ('' to skip).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the random nets (default: a temporary folder).")
def bench_search_command(sizes, net_names, visits, batch_size, threads, settings, leelaz_bin, workdir):
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
                runtime, precision = evaluator.runtime.split()
                for size in sizes_list:
                    b = bench_zerogo(evaluator, size, visits, batch_size)
                    ratio = b.rate / b.bare_rate if b.bare_rate else float("nan")
                    click.echo(f"{'zerogo':8} {name:7} {size:>5} {runtime:>11} {precision:>5} {b.visits:>7} "
                               f"{b.seconds:>8.2f} {b.rate:>9.1f} {b.bare_rate:>9.1f} {100 * ratio:>9.1f}% "
                               f"{100 * (1 - b.overhead):>6.1f} {100 * b.overhead:>8.1f}")
            if leelaz_bin:
                _bench_leelaz(leelaz_bin, name, folder, visits, threads)


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
