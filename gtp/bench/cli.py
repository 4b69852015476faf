"""``zerogo bench``: board, network and search benchmarks (each loaded on demand).

``bench board`` and ``bench scoring`` are defined here; ``bench nn`` and ``bench search`` need torch
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
    "scoring": ("gtp.bench.cli:bench_scoring_command", "final_score and dead stones against the scoring corpus."),
    "nn": ("nets.cli:bench_nn_command", "Network evaluations per second and GFLOP/s."),
    "search": ("nets.cli:bench_search_command", "MCTS visits per second, beside Leela Zero."),
    "features": ("gtp.bench.cli:bench_features_command",
                 "KataGo input features: CPU ms per 19x19 position."),
    "accuracy": ("gtp.bench.accuracy:bench_accuracy_command",
                 "Each CPU runtime/precision against fp32 on positions from real games."),
}


class _BenchGroup(LazyGroup):
    """Lazy group over BENCHMARKS."""

    table = BENCHMARKS


bench_group = _BenchGroup(name="bench", help="Benchmarks: board, nn, search, features speed; "
                                             "accuracy of the CPU precisions; scoring accuracy.")


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


@click.command("scoring")
@click.option("--engine", "engine", default=None,
              help="GTP engine command (default: this zerogo, `zerogo gtp --sgf-dir CORPUS`); it must be "
                   "allowed to loadsgf from the corpus folder.")
@click.option("--cwd", default=None, help="Folder to start the engine in (e.g. another checkout).")
@click.option("--corpus", default=None, help="Corpus folder (default: ../shared/scoring-corpus beside the repo).")
@click.option("--size", "sizes", type=int, multiple=True, help="Only these board sizes.")
@click.option("--limit", type=int, default=0, help="At most this many games per size (0: all).")
@click.option("--verbose", "-v", is_flag=True, help="One line per game.")
def bench_scoring_command(engine, cwd, corpus, sizes, limit, verbose):
    """Winner, exact score and dead stones against the scoring corpus's referee."""
    from gtp.bench.scoring import DEFAULT_CORPUS, GameVerdict, default_engine, load_corpus, run_corpus

    corpus = corpus or DEFAULT_CORPUS
    games = load_corpus(corpus, tuple(sizes), limit)

    def show(v: GameVerdict) -> None:
        if verbose:
            marks = "".join("." if ok else "x" for ok in (v.winner_ok, v.score_ok, v.dead_ok))
            extra = "" if v.dead_ok else (f" missed {sorted(v.game.dead - v.dead)}"
                                          f" extra {sorted(v.dead - v.game.dead)}")
            click.echo(f"{v.game.sgf.name} {marks} engine {v.score} referee {v.game.final_score} "
                       f"({v.seconds:.1f} s){extra}")

    report = run_corpus(engine or default_engine(corpus), games, cwd=cwd, progress=show)
    click.echo(report.summary())


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
