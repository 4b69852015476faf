"""``zerogo data distil``: teacher games (a KataGo network plays) as zerogo training shards."""

from __future__ import annotations

import logging
import os
import time

import click

from nets.distil import DistilSettings, run_distil

_D = DistilSettings()


def _int_list(text: str) -> tuple:
    return tuple(int(x) for x in text.split(",") if x.strip())


def _float_list(text: str) -> tuple:
    return tuple(float(x) for x in text.split(",") if x.strip())


@click.command("distil")
@click.option("--teacher", required=True, type=click.Path(exists=True, dir_okay=False),
              help="KataGo model (.bin.gz, converted once into the ONNX cache) or its ONNX file.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Shards, sgf/ and PREFIX-progress.json go here (a rerun carries on).")
@click.option("--games", default=_D.games, show_default=True, help="Total games to reach.")
@click.option("--minutes", default=_D.minutes, show_default=True,
              help="Start no new game after so many minutes of this run (0: no limit).")
@click.option("--parallel", default=_D.parallel, show_default=True,
              help="Games in flight sharing one batched teacher.")
@click.option("--sizes", default="9", show_default=True, help="Board sizes, e.g. 9,13,19.")
@click.option("--size-weights", default="", help="Relative weights of --sizes (default equal).")
@click.option("--rules", default=",".join(_D.rules), show_default=True,
              help="Rule sets to draw from (chinese, japanese, ...).")
@click.option("--komi-spread", default=_D.komi_spread, show_default=True,
              help="Komi = the rules' usual komi + a multiple of 0.5 within +-this.")
@click.option("--handicap-prob", default=_D.handicap_prob, show_default=True)
@click.option("--opening-moves", default=_D.opening_moves, show_default=True,
              help="Play 0..N uniformly random first moves.")
@click.option("--policy", type=click.Choice(["raw", "search"]), default=_D.policy,
              show_default=True, help="Policy target: the teacher's raw policy, or a search's "
              "visit distribution (--visits).")
@click.option("--visits", default=_D.visits, show_default=True)
@click.option("--temperature", default=_D.temperature, show_default=True)
@click.option("--temperature-moves", default=_D.temperature_moves, show_default=True,
              help="Plies at --temperature (-1: area / 7); --late-temperature after.")
@click.option("--late-temperature", default=_D.late_temperature, show_default=True)
@click.option("--resign-threshold", default=_D.resign_threshold, show_default=True,
              help="Resign when the teacher's value stays below this (-1: never).")
@click.option("--max-moves", default=_D.max_moves, show_default=True, help="0: 2 * area.")
@click.option("--positions-per-shard", default=_D.positions_per_shard, show_default=True)
@click.option("--flush-minutes", default=_D.flush_minutes, show_default=True,
              help="Also write the finished games out after so many minutes.")
@click.option("--prefix", default=_D.prefix, show_default=True,
              help="Shard prefix (one per process writing the same folder).")
@click.option("--seed", default=_D.seed, show_default=True)
@click.option("--threads", default=_D.threads, show_default=True,
              help="ONNX Runtime threads for the teacher (0: physical cores).")
@click.option("--batch-size", default=_D.batch_size, show_default=True)
@click.option("--log-seconds", default=_D.log_seconds, show_default=True,
              help="Log the throughput this often (0: never).")
@click.option("--quiet", is_flag=True, help="Warnings only on stderr.")
def distil_command(sizes, size_weights, rules, resign_threshold, quiet, **kwargs):
    """Teacher games with a KataGo network as the player, as zerogo shards.

    Every teacher move is a row in zerogo's own features with the teacher's
    policy, the game's result (and margin and ownership when played out) and
    the teacher's value, score lead and ownership. Interrupt it at any time
    (Ctrl-C, SIGTERM) and run the same command again to carry on.
    """
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        s = DistilSettings(sizes=_int_list(sizes), size_weights=_float_list(size_weights),
                           rules=tuple(r.strip() for r in rules.split(",") if r.strip()),
                           resign_threshold=None if resign_threshold <= -1 else resign_threshold,
                           **kwargs)
        s.check()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    t0, c0 = time.monotonic(), time.process_time()
    try:
        prog = run_distil(s)
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    hours = max(prog.wall_s, 1e-9) / 3600
    click.echo(f"games: {prog.games}, positions: {prog.positions} ({prog.by_size}), "
               f"teacher evals: {prog.evals}; this run {wall:.0f} s wall, {cpu:.0f} s CPU; all runs: "
               f"{prog.games / hours:.0f} games/h, {prog.positions / hours:.0f} positions/h "
               f"(load average {os.getloadavg()[0]:.1f})", err=True)
