"""``zerogo gtp`` (the GTP engine: Sabaki, GoGui, Lizzie, gtp2ogs, KGS, twogtp) and
``zerogo analysis`` (KataGo's JSON analysis engine: KaTrain, web tools).

Also ``zerogo import-katago MODEL.bin.gz -o NET.onnx``: convert a KataGo
network for play (numpy and onnx only, no torch); ``zerogo gtp --network
MODEL.bin.gz`` does the same once, into a cache keyed by the file's SHA-256.

stdout carries protocol replies and nothing else; every log line goes to
stderr (and to ``--log FILE`` when given).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from engine.runtimes import PRECISION_CHOICES, RUNTIME_CHOICES
from gtp.server.analysis_engine import AnalysisEngine, AnalysisSettings
from gtp.server.players import EngineOptions, PlayerError, make_player

# Each option's default is the settings dataclass's own (written once, in EngineOptions / AnalysisSettings).
DEFAULTS = EngineOptions()
ANALYSIS = AnalysisSettings()
# Except the network's runtime: EngineOptions keeps the exact fp32 export for code that builds a
# player; the command line a user runs takes the fastest setting that agrees with it (README,
# "Playing faster on the CPU"; 5.5x on a CPU with AMX, and stronger at equal time).
CLI_RUNTIME, CLI_PRECISION = "auto", "auto"
CLI_TREE = "auto"     # EngineOptions keeps "python": code that builds a player gets the Python tree unless it asks


def runtime_options(command):
    """``--runtime`` and ``--precision`` (env ZEROGO_RUNTIME, ZEROGO_PRECISION) of zerogo gtp and analysis."""
    command = click.option(
        "--precision", type=click.Choice(PRECISION_CHOICES), default=CLI_PRECISION,
        envvar="ZEROGO_PRECISION", show_default=True, show_envvar=True,
        help="CPU inference precision (int8: quantized once on real games and cached; bf16: OpenVINO); "
             "auto: see --runtime.")(command)
    return click.option(
        "--runtime", type=click.Choice(RUNTIME_CHOICES), default=CLI_RUNTIME, envvar="ZEROGO_RUNTIME",
        show_default=True, show_envvar=True,
        help="CPU inference runtime (openvino: pip install 'zerogo[cpu-fast]'); auto: the fastest this "
             "CPU supports that passes the accuracy check against fp32 (stderr says which).")(command)


def tree_option(command):
    """``--tree`` (env ZEROGO_TREE) of zerogo gtp and analysis."""
    return click.option(
        "--tree", type=click.Choice(["python", "compiled", "auto"]), default=CLI_TREE, envvar="ZEROGO_TREE",
        show_default=True, show_envvar=True,
        help="The search tree: python, or compiled with numba (pip install 'zerogo[cpu-fast]'): the same "
             "search with a fifth of the Python work a visit, for zerogo's own networks without the "
             "pipeline (elsewhere the Python tree runs, with a warning); auto: compiled where it can run, "
             "silently (so the Python tree where numba is not installed).")(command)


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
    from gtp.server.commands import GtpEngine
    from gtp.server.protocol import GtpServer
    try:
        rules_by_name(options.rules, options.komi)  # also refuses a NaN or infinite komi
        player = make_player(options)
    except (RulesError, PlayerError) as exc:
        raise click.UsageError(str(exc)) from None
    engine = GtpEngine(options, player)
    if stdin is None and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # a stray byte must not end the session
    GtpServer(engine, stdin or sys.stdin, stdout or sys.stdout).serve()


@click.command("gtp", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--size", default=DEFAULTS.size, show_default=True, type=click.IntRange(2, 25),
              help="Board size before the controller sends boardsize.")
@click.option("--rules", default=DEFAULTS.rules, show_default=True,
              help="Rule set: chinese, japanese, korean, tromp-taylor, aga, new-zealand.")
@click.option("--komi", type=float, default=DEFAULTS.komi, help="Komi (default: the rules' own komi).")
@click.option("--network", default=DEFAULTS.network, show_default=True,
              help="ONNX network file, or a KataGo network (.bin.gz, converted once into "
                   "~/.cache/zerogo/onnx); 'auto' takes weights/zerogo-SIZExSIZE.onnx (else the 9x9, "
                   "19x19 or plain zerogo.onnx net); 'none' plays without a network (random legal "
                   "moves that never fill own eyes). A missing or bad file is an error at start-up "
                   "(exit code 2, with the reason).")
@click.option("--visits", type=click.IntRange(1), default=DEFAULTS.visits,
              help="Search visits per move (default: the searcher's, cut by any time limit).")
@click.option("--time-per-move", type=click.FloatRange(0), default=DEFAULTS.time_per_move,
              help="Target seconds per move when the controller sets no clock.")
@click.option("--max-time", type=click.FloatRange(0), default=DEFAULTS.max_time,
              help="Hard cap in seconds on any one move, clock or not.")
@click.option("--lag", type=click.FloatRange(0), default=DEFAULTS.lag, show_default=True,
              help="Seconds kept back per move for network and GUI lag.")
@click.option("--threads", type=click.IntRange(0), default=DEFAULTS.threads, show_default=True,
              help="CPU threads for the network runtime (0: all physical cores).")
@click.option("--batch-size", type=click.IntRange(1), default=DEFAULTS.batch_size, show_default=True,
              help="Positions per network evaluation batch.")
@click.option("--pipeline", type=click.Choice(["off", "on", "auto"]), default=DEFAULTS.pipeline, show_default=True,
              help="Gather the next batch while the network runs this one, where the runtime runs it on its "
                   "own threads (OpenVINO): 20-50% more visits a second, but two batches of virtual loss (on 9x9 "
                   "at 0.2 s a move it lost 80-107 to the serial search); auto measures both ways in the first "
                   "searches on each board size and keeps the faster (stderr says which).")
@tree_option
@runtime_options
@click.option("--max-tree-mb", type=click.IntRange(0), default=DEFAULTS.max_tree_mb,
              show_default=True,
              help="Memory for the search tree in MiB; past it the least-visited subtrees are "
                   "pruned and the search goes on (0: no cap). A 19x19 node takes ~41 kB on the Python "
                   "tree (1024 MiB hold ~26k nodes), ~5.5 kB on the compiled one (~190k); the evaluation "
                   "cache (256 MiB) comes on top.")
@click.option("--sgf-dir", type=click.Path(file_okay=False), default=DEFAULTS.sgf_dir,
              show_default=True,
              help="loadsgf and printsgf FILE read and write only in this folder and below "
                   "(regular files, no symlinks leading out, at most 16 MiB).")
@click.option("--allow-any-path", is_flag=True, default=DEFAULTS.allow_any_path,
              help="Let loadsgf and printsgf reach any path the process can (the old behaviour; "
                   "never with an untrusted controller).")
@click.option("--resign-threshold", type=click.FloatRange(0, 1), default=DEFAULTS.resign_threshold, show_default=True,
              help="Resign when the win rate falls below this (0: never resign).")
@click.option("--static-score-utility", type=click.FloatRange(0), default=DEFAULTS.static_score_utility,
              show_default=True,
              help="Weight of winning by more points beside winning at all (KataGo's staticScoreUtilityFactor).")
@click.option("--dynamic-score-utility", type=click.FloatRange(0), default=DEFAULTS.dynamic_score_utility,
              show_default=True,
              help="Weight of gaining points around the score expected now, so won and lost games are "
                   "still played for points (KataGo's dynamicScoreUtilityFactor).")
@click.option("--policy-temperature", type=click.FloatRange(0, 10, min_open=True),
              default=DEFAULTS.policy_temperature, show_default=True,
              help="Softmax temperature of the network's move priors at every node of the search: above 1 the "
                   "search tries moves the net rates low more often (Lc0's PolicyTemperature).")
@click.option("--status-network", default=DEFAULTS.status_network, show_default=True,
              help="Dead stones and final_score: a strong network's ownership as extra evidence beside the "
                   "play-outs: auto (a KataGo net in $ZEROGO_KATAGO_NETS, default "
                   "~/.cache/zerogo/katago-nets, loaded in the background), none, or a network FILE.")
@click.option("--ponder/--no-ponder", default=DEFAULTS.ponder, show_default=True,
              help="Think on the opponent's time.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False), default=DEFAULTS.log_file,
              help="Also write the log (always on stderr) to this file.")
@click.option("--seed", type=int, default=DEFAULTS.seed, help="Random seed, for reproducible games.")
@click.option("--player", default=DEFAULTS.player,
              help="Plug in another move generator: MODULE:CALLABLE taking the options.")
@click.option("--ogs-chat", type=click.Choice(["none", "malkovich", "discussion"]), default=DEFAULTS.ogs_chat,
              show_default=True,
              help="After each move write the search's view (win rate, visits, variation) to "
                   "stderr as a 'MALKOVICH:' (OGS's hidden log) or 'DISCUSSION:' (game chat) "
                   "line, which gtp2ogs turns into chat.")
@click.option("--gtp-name", "name", default=DEFAULTS.name, show_default=True,
              help="What the name command answers.")
@click.option("--gtp-version", "version", default=DEFAULTS.version, show_default=True,
              help="What the version command answers (Lizzie 0.7 wants a Leela Zero-like 0.17 or higher).")
@click.option("--verbose", is_flag=True, help="Log every command and analysis line (debug level).")
def gtp_command(log_file, verbose, **settings):
    """Run zerogo as a GTP v2 engine on stdin/stdout (logs on stderr)."""
    setup_logging(log_file, verbose)
    run_engine(EngineOptions(log_file=log_file, **settings))


@click.command("analysis", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--network", default=ANALYSIS.network, show_default=True,
              help="ONNX network file or a KataGo network (.bin.gz, converted once into the cache); "
                   "'auto' takes the shipped net for each query's board size.")
@click.option("--visits", type=click.IntRange(1), default=ANALYSIS.visits, show_default=True,
              help="maxVisits of a query that gives none (KataGo's analysis_example.cfg: 500).")
@click.option("--analysis-threads", type=click.IntRange(1, 64), default=ANALYSIS.analysis_threads, show_default=True,
              help="Positions searched at the same time (their network calls share batches).")
@click.option("--batch-size", type=click.IntRange(1), default=ANALYSIS.batch_size, show_default=True,
              help="Leaves each search sends to the network at once.")
@click.option("--threads", type=click.IntRange(0), default=ANALYSIS.threads, show_default=True,
              help="CPU threads for the network runtime (0: all physical cores).")
@click.option("--report-winrates-as", "perspective", default=ANALYSIS.perspective, show_default=True,
              type=click.Choice(["BLACK", "WHITE", "SIDETOMOVE"], case_sensitive=False),
              help="Perspective of winrates, scores and ownership (KataGo's reportAnalysisWinratesAs; "
                   "a query's overrideSettings may change it).")
@click.option("--pv-len", type=click.IntRange(1, 1000), default=ANALYSIS.pv_len, show_default=True,
              help="Moves after the first in each variation (KataGo's analysisPVLen).")
@tree_option
@runtime_options
@click.option("--seed", type=int, default=None, help="Random seed.")
@click.option("--quit-without-waiting", is_flag=True,
              help="At the end of input, stop the running searches instead of finishing the queue.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the log (always on stderr) to this file.")
@click.option("--verbose", is_flag=True, help="Debug logging.")
def analysis_command(network, visits, analysis_threads, batch_size, threads, perspective, pv_len, runtime,
                     tree, precision, seed, quit_without_waiting, log_file, verbose):
    """Answer KataGo-style JSON analysis queries, one per line, on stdin/stdout."""
    setup_logging(log_file, verbose)
    settings = AnalysisSettings(network=network, visits=visits, analysis_threads=analysis_threads,
                                batch_size=batch_size, threads=threads, perspective=perspective.upper(),
                                pv_len=pv_len, runtime=runtime, precision=precision, tree=tree, seed=seed,
                                quit_without_waiting=quit_without_waiting)
    from engine.evaluator import ModelLoadError
    from gtp.server.analysis_query import QueryError
    engine = AnalysisEngine(settings, sys.stdout)
    try:
        engine.preload()
    except (ModelLoadError, QueryError) as exc:
        raise click.UsageError(f"cannot analyse with network {network}: {exc}") from None
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    print("zerogo analysis engine: ready to begin handling requests", file=sys.stderr, flush=True)
    engine.serve(sys.stdin)


@click.command("import-katago")
@click.argument("model_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="ONNX file to write (default: the conversion cache, path printed).")
@click.option("--mish", type=click.Choice(["sigmoid", "softplus", "op"]), default="sigmoid",
              show_default=True,
              help="How to write Mish: via sigmoid (fastest on CPU), literally with "
                   "softplus, or ONNX's Mish operator (same values).")
def import_katago_command(model_file: Path, output: Path | None, mish: str):
    """Convert a KataGo network file (.bin.gz, .txt.gz; model versions 8-14) to ONNX."""
    from engine.katago.cache import converted_path
    from engine.katago.modelfile import KataModelError, load_model
    try:
        from engine.katago.onnx_build import write_onnx
    except ImportError as exc:
        raise click.ClickException(f"converting KataGo networks needs the 'onnx' package "
                                   f"({exc}): pip install onnx") from None

    start = time.perf_counter()
    try:
        if output is None:
            path = converted_path(model_file, mish=mish)
            click.echo(str(path))
            return
        model = load_model(model_file)
        write_onnx(model, output, mish=mish)
    except KataModelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{model_file.name} (KataGo model version {model.version}, {model.name}) -> "
               f"{output} in {time.perf_counter() - start:.1f} s", err=True)
