"""``zerogo bench``: board, network and search benchmarks (each loaded on demand).

``bench board`` is defined here; ``bench nn`` and ``bench search`` need torch
and live in ``nets.cli`` (named by module string, like ``gtp/cli.py`` does).
"""

from __future__ import annotations

from pathlib import Path

import click

from gtp.bench.board import BenchSettings, run_bench
from gtp.cli import LazyGroup

_BOARD = BenchSettings()

BENCHMARKS = {
    "board": ("gtp.bench.cli:bench_board_command", "Moves and random playouts per second."),
    "nn": ("nets.cli:bench_nn_command", "Network evaluations per second and GFLOP/s."),
    "search": ("nets.cli:bench_search_command", "MCTS visits per second, beside Leela Zero."),
    "features": ("gtp.bench.cli:bench_features_command",
                 "KataGo input features: CPU ms per 19x19 position."),
}


class _BenchGroup(LazyGroup):
    """Lazy group over BENCHMARKS."""

    table = BENCHMARKS


bench_group = _BenchGroup(name="bench", help="Speed benchmarks: board, nn, search, features.")


@click.command("board")
@click.option("--size", "sizes", type=click.IntRange(2, 25), multiple=True,
              default=(9, 19), show_default=True, help="Board sizes to measure (repeatable).")
@click.option("--seconds", type=click.FloatRange(0.05, 600), default=_BOARD.seconds, show_default=True,
              help="Seconds per measurement.")
@click.option("--seed", type=int, default=_BOARD.seed, show_default=True, help="Random seed.")
def bench_board_command(sizes, seconds, seed):
    """Moves and random playouts per second (one core), zerogo vs a naive board."""
    for line in run_bench(list(sizes), BenchSettings(seconds, seed)):
        click.echo(line)


@click.command("features")
@click.option("--positions", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of SGF positions (default: ../shared/katago-reference/positions).")
@click.option("--reps", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Runs per cold position (the best counts).")
@click.option("--children", type=click.IntRange(1, 361), default=16, show_default=True,
              help="Search children per position.")
def bench_features_command(positions, reps, children):
    """KataGo's input features: CPU ms per 19x19 position (cold, along a game, search children)."""
    from gtp.bench.features import DEFAULT_POSITIONS, FeatureBenchSettings, run_feature_bench

    settings = FeatureBenchSettings(positions or DEFAULT_POSITIONS, reps, children)
    try:
        lines = run_feature_bench(settings)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    for line in lines:
        click.echo(line)
