"""``zerogo bench``: board, network and search benchmarks (each loaded on demand)."""

from __future__ import annotations

from gtp.cli import LazyGroup

BENCHMARKS = {
    "board": "gtp.bench_board:bench_board_command",
    "nn": "gtp.bench_nn:bench_nn_command",
    "search": "gtp.bench_search:bench_search_command",
}


class _BenchGroup(LazyGroup):
    """Lazy group over BENCHMARKS."""

    table = BENCHMARKS


bench_group = _BenchGroup(name="bench", help="Speed benchmarks: board, nn, search.")
