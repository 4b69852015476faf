"""Click options shared by the training package's commands."""

from __future__ import annotations

import click

from engine.runtimes import PRECISION_CHOICES, RUNTIME_CHOICES


def runtime_options(runtime: str, precision: str, what: str):
    """``--runtime`` and ``--precision`` (engine.runtimes) with these defaults, for ``what`` runs the net."""
    def wrap(command):
        command = click.option("--precision", type=click.Choice(PRECISION_CHOICES), default=precision,
                               show_default=True, help=f"CPU inference precision for {what}.")(command)
        return click.option("--runtime", type=click.Choice(RUNTIME_CHOICES), default=runtime,
                            show_default=True, help=f"CPU inference runtime for {what} "
                                                    "(engine.runtimes).")(command)
    return wrap


def threads_option(default: int, what: str):
    """``--threads`` for the runtime that runs ``what`` (0: every physical core)."""
    return click.option("--threads", default=default, show_default=True, type=click.IntRange(0),
                        help=f"Inference threads for {what} (0: every physical core).")


def teacher_options(threads: int, batch_size: int, runtime: str, precision: str):
    """The teacher's ``--threads``, ``--batch-size``, ``--runtime`` and ``--precision`` with these defaults."""
    def wrap(command):
        command = runtime_options(runtime, precision, "the teacher")(command)
        command = click.option("--batch-size", default=batch_size, show_default=True, type=click.IntRange(1),
                               help="Positions a teacher batch.")(command)
        return threads_option(threads, "the teacher")(command)
    return wrap


def resign_options(threshold: float, playout_fraction: float, what: str = ""):
    """Self-play's ``--resign-threshold`` and ``--resign-playout-fraction`` with these defaults."""
    def wrap(command):
        command = click.option("--resign-playout-fraction", type=click.FloatRange(0, 1), default=playout_fraction,
                               show_default=True,
                               help=f"Games played out anyway, to count false resignations{what}.")(command)
        return click.option("--resign-threshold", type=click.FloatRange(0, 1), default=threshold, show_default=True,
                            help=f"Root win rate below which a player resigns{what} (0: never resign).")(command)
    return wrap


def replay_options(fraction: float):
    """``--replay-data`` (repeatable, passed on as ``replay_dirs``) and ``--replay-fraction`` for a trainer."""
    def wrap(command):
        command = click.option("--replay-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                               default=fraction, show_default=True,
                               help="The replay shards' share of each training window's positions "
                                    "(a random pick each pass).")(command)
        return click.option("--replay-data", "replay_dirs", multiple=True,
                            type=click.Path(exists=True, file_okay=False),
                            help="Shard directory (repeatable; e.g. the teacher's games) mixed into every "
                                 "training window.")(command)
    return wrap
