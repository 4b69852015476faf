"""``zerogo bench``: board, network and search benchmarks (each loaded on demand)."""

from __future__ import annotations

from gtp.cli import LazyGroup

BENCHMARKS = {
    "board": ("gtp.bench_board:bench_board_command", "Moves and random playouts per second."),
    "nn": ("gtp.bench_nn:bench_nn_command", "Network evaluations per second and GFLOP/s."),
    "search": ("gtp.bench_search:bench_search_command", "MCTS visits per second, beside Leela Zero."),
    "scoring": ("gtp.bench_scoring:bench_scoring_command", "final_score and dead stones against the scoring corpus."),
}


class _BenchGroup(LazyGroup):
    """Lazy group over BENCHMARKS."""

    table = BENCHMARKS


bench_group = _BenchGroup(name="bench", help="Speed benchmarks: board, nn, search.")
