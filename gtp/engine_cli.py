"""``zerogo gtp``: run the engine as a GTP program (Sabaki, GoGui, gtp2ogs, KGS, twogtp).

stdout carries GTP replies and nothing else; every log line goes to stderr
(and to ``--log FILE`` when given).
"""

from __future__ import annotations

import logging
import sys

import click

from gtp.players import EngineOptions, PlayerError, make_player


def setup_logging(log_file: str | None, verbose: bool) -> None:
    """Logs to stderr (and a file); never to stdout."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=handlers,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s", force=True)


def run_engine(options: EngineOptions, stdin=None, stdout=None) -> None:
    """Build the player and serve GTP on the given streams (default: stdin/stdout)."""
    from engine.rules import RulesError, rules_by_name
    from gtp.commands import GtpEngine
    from gtp.protocol import GtpServer
    try:
        rules_by_name(options.rules)
        player = make_player(options)
    except (RulesError, PlayerError) as exc:
        raise click.UsageError(str(exc)) from None
    engine = GtpEngine(options, player)
    if stdin is None and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # a stray byte must not end the session
    GtpServer(engine, stdin or sys.stdin, stdout or sys.stdout).serve()


@click.command("gtp", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--size", default=19, show_default=True, type=click.IntRange(2, 25),
              help="Board size before the controller sends boardsize.")
@click.option("--rules", default="chinese", show_default=True,
              help="Rule set: chinese, japanese, korean, tromp-taylor, aga, new-zealand.")
@click.option("--komi", type=float, default=None, help="Komi (default: the rules' own komi).")
@click.option("--network", default="auto", show_default=True,
              help="ONNX network file; 'auto' takes weights/zerogo-SIZExSIZE.onnx (else the 9x9, "
                   "19x19 or plain zerogo.onnx net); 'none' plays without a network (random legal "
                   "moves that never fill own eyes). A missing or bad file falls back to 'none'.")
@click.option("--visits", type=click.IntRange(1), default=None,
              help="Search visits per move (default: the searcher's, cut by any time limit).")
@click.option("--time-per-move", type=click.FloatRange(0), default=None,
              help="Target seconds per move when the controller sets no clock.")
@click.option("--max-time", type=click.FloatRange(0), default=None,
              help="Hard cap in seconds on any one move, clock or not.")
@click.option("--lag", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Seconds kept back per move for network and GUI lag.")
@click.option("--threads", type=click.IntRange(0), default=0, show_default=True,
              help="CPU threads for the network runtime (0: all physical cores).")
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True,
              help="Positions per network evaluation batch.")
@click.option("--resign-threshold", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Resign when the win rate falls below this (0: never resign).")
@click.option("--ponder/--no-ponder", default=False, show_default=True,
              help="Think on the opponent's time.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the log (always on stderr) to this file.")
@click.option("--seed", type=int, default=None, help="Random seed, for reproducible games.")
@click.option("--player", default=None,
              help="Plug in another move generator: MODULE:CALLABLE taking the options.")
@click.option("--ogs-chat", type=click.Choice(["none", "malkovich", "discussion"]), default="none",
              show_default=True,
              help="After each move write the search's view (win rate, visits, variation) to "
                   "stderr as a 'MALKOVICH:' (OGS's hidden log) or 'DISCUSSION:' (game chat) "
                   "line, which gtp2ogs turns into chat.")
@click.option("--gtp-name", default="zerogo", show_default=True, help="What the name command answers.")
@click.option("--gtp-version", default="0.1.0", show_default=True,
              help="What the version command answers (Lizzie 0.7 wants a Leela Zero-like 0.17 or higher).")
@click.option("--verbose", is_flag=True, help="Log every command and analysis line (debug level).")
def gtp_command(size, rules, komi, network, visits, time_per_move, max_time, lag, threads,
                batch_size, resign_threshold, ponder, log_file, seed, player, ogs_chat, gtp_name, gtp_version,
                verbose):
    """Run zerogo as a GTP v2 engine on stdin/stdout (logs on stderr)."""
    setup_logging(log_file, verbose)
    options = EngineOptions(size=size, rules=rules, komi=komi, network=network, visits=visits,
                            time_per_move=time_per_move, max_time=max_time, lag=lag,
                            threads=threads, batch_size=batch_size,
                            resign_threshold=resign_threshold, ponder=ponder,
                            log_file=log_file, seed=seed, player=player, ogs_chat=ogs_chat,
                            name=gtp_name, version=gtp_version)
    run_engine(options)
