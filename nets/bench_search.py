"""``zerogo bench search``: MCTS visits per second on random-weight nets, beside Leela Zero.

The measuring code (no torch) lives in ``gtp.bench.search``; this module adds
what needs the training extras: making a random-weight ONNX net of each shape.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from gtp.bench.search import LZ_BOARD, NET_SHAPES, bench_zerogo, leelaz_weights_lines, run_leelaz


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
@click.option("--threads", default=1, show_default=True, help="ONNX Runtime intra-op threads.")
@click.option("--leelaz", "leelaz_bin", default="/usr/games/leelaz", show_default=True,
              help="Leela Zero binary ('' to skip).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the random nets (default: a temporary folder).")
def bench_search_command(sizes, net_names, visits, batch_size, threads, leelaz_bin, workdir):
    """Visits per second of zerogo's search (and Leela Zero's) on random-weight nets."""
    from engine.evaluator import EvaluatorConfig, load_evaluator
    sizes_list = [int(s) for s in sizes.split(",") if s.strip()]
    names = [n.strip() for n in net_names.split(",") if n.strip()]
    unknown = [n for n in names if n not in NET_SHAPES]
    if unknown:
        raise click.BadParameter(f"unknown net shape(s) {unknown}; known: {', '.join(NET_SHAPES)}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        click.echo(f"{'engine':8} {'net':7} {'size':>5} {'visits':>7} {'seconds':>8} {'visits/s':>9} "
                   f"{'net %':>6} {'search %':>8}")
        for name in names:
            onnx_path = folder / f"random-{name}.onnx"
            if not onnx_path.exists():
                make_random_onnx(name, onnx_path)
            cfg = EvaluatorConfig(provider="cpu", threads=threads, batch_size=max(32, batch_size), cache_size=0)
            evaluator = load_evaluator(onnx_path, cfg)
            for size in sizes_list:
                b = bench_zerogo(evaluator, size, visits, batch_size)
                click.echo(f"{'zerogo':8} {name:7} {size:>5} {b.visits:>7} {b.seconds:>8.2f} {b.rate:>9.1f} "
                           f"{100 * (1 - b.overhead):>6.1f} {100 * b.overhead:>8.1f}")
            if leelaz_bin:
                _bench_leelaz(leelaz_bin, name, folder, visits)


def _bench_leelaz(binary: str, name: str, folder: Path, visits: int) -> None:
    """Write Leela Zero random weights of the same shape and run its benchmark."""
    blocks, channels = NET_SHAPES[name]
    weights = folder / f"leelaz-random-{name}.txt"
    if not weights.exists():
        weights.write_text("\n".join(leelaz_weights_lines(blocks, channels)) + "\n")
    rate, tail = run_leelaz(binary, weights, visits)
    if rate is None:
        click.echo(f"leelaz   {name:7} {LZ_BOARD:>5} benchmark failed: {tail.strip()[-200:]}", err=True)
    else:
        click.echo(f"{'leelaz':8} {name:7} {LZ_BOARD:>5} {'':>7} {'':>8} {rate:>9.1f}")
