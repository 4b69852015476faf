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
