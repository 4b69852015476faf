"""The training package's subcommands, named by module string in ``gtp/cli.py`` and ``gtp/bench/cli.py``.

One module per command group: ``games`` (``zerogo selfplay``, ``loop``,
``ladder``, ``ladder-nets``), ``train`` (``train``, ``export``, ``train-pg``, ``tune``),
``data`` (``zerogo data from-sgf|distil|distil-eval|gnugo-games``) and
``bench`` (``zerogo bench nn|search``). The library code they call lives in
the modules each command names; every option's default is written once, in
the settings dataclass where there is one.
"""

from __future__ import annotations

from nets.cli.bench import bench_nn_command, bench_search_command
from nets.cli.data import data_group
from nets.cli.games import ladder_command, ladder_nets_command, loop_command, selfplay_command
from nets.cli.train import export_command, train_command, train_pg_command, tune_command

__all__ = ["bench_nn_command", "bench_search_command", "data_group", "export_command", "ladder_command",
           "ladder_nets_command", "loop_command", "selfplay_command", "train_command", "train_pg_command",
           "tune_command"]
