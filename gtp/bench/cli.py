"""``zerogo bench``: board, network and search benchmarks (each loaded on demand).

``bench board`` is defined here; ``bench nn`` and ``bench search`` need torch
and live in ``nets.cli`` (named by module string, like ``gtp/cli.py`` does).
"""

from __future__ import annotations

import click

from gtp.bench.board import BenchSettings, run_bench
from gtp.cli import LazyGroup

_BOARD = BenchSettings()

BENCHMARKS = {
    "board": ("gtp.bench.cli:bench_board_command", "Moves and random playouts per second."),
    "nn": ("nets.cli:bench_nn_command", "Network evaluations per second and GFLOP/s."),
    "search": ("nets.cli:bench_search_command", "MCTS visits per second, beside Leela Zero."),
}


class _BenchGroup(LazyGroup):
    """Lazy group over BENCHMARKS."""

    table = BENCHMARKS


bench_group = _BenchGroup(name="bench", help="Speed benchmarks: board, nn, search.")


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
