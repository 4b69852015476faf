"""``zerogo analysis``: KataGo's JSON analysis engine on stdin/stdout (for KaTrain and web tools).

stdout carries one JSON answer per line and nothing else; logs go to stderr.
"""

from __future__ import annotations

import sys

import click

from gtp.analysis_engine import AnalysisEngine, AnalysisSettings


@click.command("analysis", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--network", default="auto", show_default=True,
              help="ONNX network file; 'auto' takes the shipped net for each query's board size.")
@click.option("--visits", type=click.IntRange(1), default=500, show_default=True,
              help="maxVisits of a query that gives none (KataGo's analysis_example.cfg: 500).")
@click.option("--analysis-threads", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Positions searched at the same time (their network calls share batches).")
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True,
              help="Leaves each search sends to the network at once.")
@click.option("--threads", type=click.IntRange(0), default=0, show_default=True,
              help="CPU threads for the network runtime (0: all physical cores).")
@click.option("--report-winrates-as", "perspective", default="BLACK", show_default=True,
              type=click.Choice(["BLACK", "WHITE", "SIDETOMOVE"], case_sensitive=False),
              help="Perspective of winrates, scores and ownership (KataGo's reportAnalysisWinratesAs; "
                   "a query's overrideSettings may change it).")
@click.option("--pv-len", type=click.IntRange(1, 1000), default=15, show_default=True,
              help="Moves after the first in each variation (KataGo's analysisPVLen).")
@click.option("--seed", type=int, default=None, help="Random seed.")
@click.option("--quit-without-waiting", is_flag=True,
              help="At the end of input, stop the running searches instead of finishing the queue.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the log (always on stderr) to this file.")
@click.option("--verbose", is_flag=True, help="Debug logging.")
def analysis_command(network, visits, analysis_threads, batch_size, threads, perspective, pv_len, seed,
                     quit_without_waiting, log_file, verbose):
    """Answer KataGo-style JSON analysis queries, one per line, on stdin/stdout."""
    from gtp.engine_cli import setup_logging
    setup_logging(log_file, verbose)
    settings = AnalysisSettings(network=network, visits=visits, analysis_threads=analysis_threads,
                                batch_size=batch_size, threads=threads, perspective=perspective.upper(),
                                pv_len=pv_len, seed=seed, quit_without_waiting=quit_without_waiting)
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    print("zerogo analysis engine: ready to begin handling requests", file=sys.stderr, flush=True)
    AnalysisEngine(settings, sys.stdout).serve(sys.stdin)
