"""The ``zerogo`` command line: a click group whose subcommands load on demand.

Subcommands live in their own modules and are imported only when called, so
``zerogo gtp`` never imports the training package (and so never torch).
"""

from __future__ import annotations

import importlib

import click

# name -> ("module:attribute" of a click command or group, one-line help).
SUBCOMMANDS = {
    "gtp": ("gtp.server.cli:gtp_command", "Run the GTP engine (for Sabaki, GoGui, gtp2ogs, KGS)."),
    "analysis": ("gtp.server.cli:analysis_command",
                 "KataGo's JSON analysis engine on stdin/stdout (for KaTrain, web tools)."),
    "match": ("gtp.match.cli:match_command", "Play engine-vs-engine matches between GTP engines."),
    "match-times": ("gtp.match.cli:match_times_command", "Move times and results from zerogo match SGFs."),
    "match-status": ("gtp.match.cli:match_status_command", "Standings of a match from its journal, while it runs."),
    "bench": ("gtp.bench.cli:bench_group", "Speed benchmarks: board, nn, search, features."),
    "import-katago": ("gtp.server.cli:import_katago_command",
                      "Convert a KataGo network (.bin.gz) to ONNX (no torch needed)."),
    "export": ("nets.cli:export_command", "Export a training checkpoint to ONNX."),
    "data": ("nets.cli:data_group", "Make training data (from SGF game records)."),
    "selfplay": ("nets.cli:selfplay_command", "Generate self-play games and training shards."),
    "train": ("nets.cli:train_command", "Train the network on shards (resumable)."),
    "loop": ("nets.cli:loop_command", "Self-play, train, export, gate and promote, in a loop."),
    "train-pg": ("nets.cli:train_pg_command", "Policy-gradient (PPO) fine-tuning by self-play."),
    "tune": ("nets.cli:tune_command", "Tune search or training parameters with optuna."),
    "ladder": ("nets.cli:ladder_command", "Summarise a loop run: Elo ladder table, JSON and plot."),
    "ladder-nets": ("nets.cli:ladder_nets_command", "Elo ladder of shipped nets from their match folders."),
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module only when it is used."""

    table = SUBCOMMANDS

    def list_commands(self, ctx):
        """All subcommand names, sorted."""
        return sorted(self.table)

    def get_command(self, ctx, name):
        """Import and return the named subcommand (None when unknown)."""
        entry = self.table.get(name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise click.ClickException(
                f"'{name}' is not available: {exc} "
                "(training commands need: pip install -e '.[train]')"
            ) from exc
        return getattr(module, attr)

    def format_commands(self, ctx, formatter):
        """List subcommands with their one-line help, importing none of them."""
        rows = [(name, self.table[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="zerogo")
def main():
    """zerogo: a Go engine in the AlphaGo Zero line (GTP, MCTS, ONNX network, training)."""


if __name__ == "__main__":
    main()
