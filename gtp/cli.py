"""The ``zerogo`` command line: a click group whose subcommands load on demand.

Subcommands live in their own modules and are imported only when called, so
``zerogo gtp`` never imports the training package (and so never torch).
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command or group.
SUBCOMMANDS = {
    "gtp": "gtp.engine_cli:gtp_command",
    "match": "gtp.match_cli:match_command",
    "bench": "gtp.bench_cli:bench_group",
    "export": "nets.export:export_command",
    "data": "nets.data_cli:data_group",
    "selfplay": "nets.selfplay_cli:selfplay_command",
    "train": "nets.train_cli:train_command",
    "loop": "nets.loop:loop_command",
    "train-pg": "nets.pg:train_pg_command",
    "tune": "nets.tune:tune_command",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module only when it is used."""

    table = SUBCOMMANDS

    def list_commands(self, ctx):
        """All subcommand names, sorted."""
        return sorted(self.table)

    def get_command(self, ctx, name):
        """Import and return the named subcommand (None when unknown)."""
        target = self.table.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise click.ClickException(
                f"'zerogo {name}' is not available: {exc} "
                "(training commands need: pip install 'zerogo[train]')"
            ) from exc
        return getattr(module, attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="zerogo")
def main():
    """zerogo: a Go engine in the AlphaGo Zero line (GTP, MCTS, ONNX network, training)."""


if __name__ == "__main__":
    main()
