"""``zerogo bench nn`` and ``zerogo bench search``: the benchmarks that need torch (random nets of a given shape)."""

from __future__ import annotations

import importlib.util
import re
import tempfile
from pathlib import Path

import click

from engine.evaluator import physical_cores
from gtp.bench.search import LZ_BOARD, NET_SHAPES, bench_zerogo, leelaz_weights_lines, run_leelaz
from nets.bench_nn import (BenchSettings, bench_network, echo_line, gpu_peak, matmul_peak,
                            run_configs)
from nets.bench_search import make_random_onnx


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
    from nets.model import CONFIGS

    unknown = [c for c in _parse(configs) if c not in CONFIGS]
    if unknown:
        raise click.BadParameter(f"unknown net config {', '.join(unknown)} (known: {', '.join(CONFIGS)})",
                                 param_hint="--configs")
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
@click.option("--position", "position_sgf", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Search this SGF game's position instead of the empty board (its size "
                                 "replaces --sizes; mid-game boards cost the search more per visit).")
@click.option("--moves", default=None, type=click.IntRange(0),
              help="With --position: the position after this many moves (default: the last).")
@click.option("--pipeline", type=click.Choice(["on", "off", "both"]), default="on", show_default=True,
              help="Gather the next batch while the net runs (where the runtime runs the net on its own "
                   "threads: OpenVINO; play measures both ways and keeps the faster); 'both' searches each way, "
                   "side by side.")
@click.option("--tree", type=click.Choice(["python", "compiled", "both"]), default="python", show_default=True,
              help="The search tree (zerogo gtp --tree): python, compiled (numba; serial, for zerogo's own "
                   "networks), or both side by side.")
def bench_search_command(sizes, net_names, visits, batch_size, threads, settings, leelaz_bin, workdir,
                         networks, position_sgf, moves, pipeline, tree):
    """Visits per second of zerogo's search (and Leela Zero's) on random-weight nets."""
    from engine.evaluator import EvaluatorConfig, ModelLoadError, load_evaluator
    game = _bench_position(position_sgf, moves) if position_sgf is not None else None
    sizes_list = [game.width] if game is not None else [int(s) for s in sizes.split(",") if s.strip()]
    names = [n.strip() for n in net_names.split(",") if n.strip()]
    unknown = [n for n in names if n not in NET_SHAPES]
    if unknown:
        raise click.BadParameter(f"unknown net shape(s) {unknown}; known: {', '.join(NET_SHAPES)}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        click.echo(f"{'engine':8} {'net':7} {'size':>5} {'runtime':>11} {'prec':>5} {'visits':>7} "
                   f"{'seconds':>8} {'visits/s':>9} {'net only':>9} {'search/net':>10} {'net %':>6} "
                   f"{'search %':>8} {'us/visit beside net':>19} {'pipe':>4} {'tree':>8}")
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
                _search_rows(evaluator, name, sizes_list, visits, batch_size, game, pipeline, tree)
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
                _search_rows(evaluator, name, sizes_list, visits, batch_size, game, pipeline, tree)


def _bench_position(path: Path, moves: int | None):
    """The game of an SGF file after ``moves`` moves (all of them when None); a click error if unreadable."""
    from engine.sgf import SgfError, load_sgf_file
    try:
        game = load_sgf_file(path)
        if moves is not None and moves < len(game.moves):
            while len(game.moves) > moves:
                game.undo()
    except (SgfError, OSError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    if game.width != game.height:
        raise click.ClickException(f"{path}: bench search takes square boards ({game.width}x{game.height})")
    return game


def _search_rows(evaluator, name: str, sizes: list[int], visits: int, batch_size: int, game=None,
                 pipeline: str = "on", tree: str = "python") -> None:
    """``bench search`` rows per board size (and pipeline and tree setting) for an evaluator.

    ``pipe`` says whether the search ran pipelined: only where the evaluator
    overlaps (``Evaluator.overlaps``); a pipelined search has no time of its
    own beside the net to report (``-``), the two overlap. ``tree`` is the
    tree that ran: the compiled one runs serially, and only on zerogo's own networks.
    """
    runtime, precision = getattr(evaluator, "runtime", "onnxruntime fp32").split()
    modes = {"on": [True], "off": [False], "both": [False, True]}[pipeline]
    if not evaluator.overlaps:
        modes = [False]
    trees = {"python": ["python"], "compiled": ["compiled"], "both": ["python", "compiled"]}[tree]
    runs = [(kind, piped) for kind in trees for piped in (modes if kind == "python" else [False])]
    for size in sizes:
        for kind, piped in runs:
            b = bench_zerogo(evaluator, size, visits, batch_size, game, piped, kind)
            ratio = b.rate / b.bare_rate if b.bare_rate else float("nan")
            beside = f"{b.beside_net_us:>19.0f}" if b.run_seconds else f"{'-':>19}"
            click.echo(f"{'zerogo':8} {name:7} {size:>5} {runtime:>11} {precision:>5} {b.visits:>7} "
                       f"{b.seconds:>8.2f} {b.rate:>9.1f} {b.bare_rate:>9.1f} {100 * ratio:>9.1f}% "
                       f"{100 * (1 - b.overhead):>6.1f} {100 * b.overhead:>8.1f} {beside} "
                       f"{'yes' if piped and b.tree == 'python' else 'no':>4} {b.tree:>8}")


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
