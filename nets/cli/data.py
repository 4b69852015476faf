"""``zerogo data``: shards from SGF files, teacher games, compact and surprise-weighted copies, GNU Go games."""

from __future__ import annotations

import os
import json
import logging
import time
from pathlib import Path

import click

from nets.archive import already_compacted, compact_shard
from nets.data import DataSettings, convert
from nets.distil import DistilSettings, run_distil
from nets.distil_eval import evaluate_net
from nets.gnugo_games import GnuGoGameSettings, generate
from nets.relabel import TeacherLabeller, TeacherSettings
from nets.cli.options import teacher_options, threads_option
from nets.shards import ShardError, list_shards
from nets.surprise import SurpriseSettings, write_surprise_weighted


# ------------------------------------------------------------ from nets.data_cli
@click.group("data")
def data_group():
    """Make training data (shards) from game records."""


@data_group.command("from-sgf")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for the shards and PREFIX-progress.json (resumes if present).")
@click.option("--positions-per-shard", default=8192, show_default=True)
@click.option("--min-moves", default=10, show_default=True, help="Skip shorter games.")
@click.option("--prefix", default="sgf", show_default=True, help="Shard file name prefix.")
@click.option("--compact/--plain-shards", default=False, show_default=True,
              help="Compact shards (policy and ownership quantised, about a sixth of the bytes) or plain ones.")
@click.option("--teacher", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Label every position with this net's raw evaluation (a KataGo .bin.gz or an ONNX "
              "file): its policy over the legal moves replaces the move played as the policy target, "
              "and its value, score lead and ownership are kept as teacher targets.")
@teacher_options(threads=0, batch_size=64, runtime="onnxruntime", precision="fp32")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def from_sgf(inputs, out_dir, positions_per_shard, min_moves, prefix, compact, teacher, threads, batch_size,
             runtime, precision, quiet):
    """Convert SGF files, directories, .zip and .tar(.gz) archives into shards.

    Broken or unsupported games are skipped and counted by reason. Run the same
    command again to resume after an interruption: games already in shards are
    not read twice. With --teacher, the policy targets are the teacher's (the
    DAgger step: the positions of the student's own games, judged by the teacher).
    """
    if positions_per_shard < 1 or min_moves < 0:
        raise click.BadParameter("--positions-per-shard must be >= 1 and --min-moves >= 0")
    settings = DataSettings(min_moves=min_moves, positions_per_shard=positions_per_shard,
                            prefix=prefix, compact=compact)
    t0 = time.monotonic()
    try:
        labeller = None if teacher is None else TeacherLabeller.load(TeacherSettings(
            teacher, threads=threads, batch_size=batch_size, runtime=runtime, precision=precision))
        prog = convert(list(inputs), out_dir, settings, progress_bar=not quiet, teacher=labeller)
    except (OSError, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"games used: {prog.games}, positions: {prog.positions}, "
               f"shards: {prog.next_index}, skipped: {sum(prog.skipped.values())}", err=True)
    if labeller is not None:
        wall = time.monotonic() - t0
        click.echo(f"teacher {labeller.name}: {labeller.positions} positions labelled in {wall:.0f} s "
                   f"({labeller.positions / max(wall, 1e-9):.1f} a second)", err=True)
    for reason, n in sorted(prog.skipped.items()):
        click.echo(f"  skipped {n:6d}  {reason}  e.g. {prog.examples.get(reason, [''])[0]}",
                   err=True)





# ------------------------------------------------------------ teacher data (nets.distil)
_DISTIL = DistilSettings()


def _int_list(text: str) -> tuple:
    """``9,13,19`` -> (9, 13, 19)."""
    return tuple(int(x) for x in text.split(",") if x.strip())


def _float_list(text: str) -> tuple:
    """``1,2`` -> (1.0, 2.0)."""
    return tuple(float(x) for x in text.split(",") if x.strip())


@data_group.command("distil")
@click.option("--teacher", required=True, type=click.Path(exists=True, dir_okay=False),
              help="KataGo model (.bin.gz, converted once into the ONNX cache) or its ONNX file.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Shards, sgf/ and PREFIX-progress.json go here (a rerun carries on).")
@click.option("--games", default=_DISTIL.games, show_default=True, help="Total games to reach.")
@click.option("--minutes", default=_DISTIL.minutes, show_default=True,
              help="Start no new game after so many minutes of this run (0: no limit).")
@click.option("--parallel", default=_DISTIL.parallel, show_default=True,
              help="Games in flight sharing one batched teacher.")
@click.option("--sizes", default="9", show_default=True, help="Board sizes, e.g. 9,13,19.")
@click.option("--size-weights", default="", help="Relative weights of --sizes (default equal).")
@click.option("--rules", default=",".join(_DISTIL.rules), show_default=True,
              help="Rule sets to draw from (chinese, japanese, ...).")
@click.option("--komi-spread", default=_DISTIL.komi_spread, show_default=True,
              help="Komi = the rules' usual komi + a multiple of 0.5 within +-this.")
@click.option("--komi-wide-prob", default=_DISTIL.komi_wide_prob, show_default=True,
              help="Share of games whose komi is drawn within +-(--komi-wide-spread) instead, so the "
              "student also knows komi far from the usual (0.5 on 9x9, reverse komi).")
@click.option("--komi-wide-spread", default=_DISTIL.komi_wide_spread, show_default=True,
              help="The komi spread of those games.")
@click.option("--handicap-prob", default=_DISTIL.handicap_prob, show_default=True)
@click.option("--opening-moves", default=_DISTIL.opening_moves, show_default=True,
              help="Play 0..N uniformly random first moves.")
@click.option("--policy", type=click.Choice(["raw", "search"]), default=_DISTIL.policy,
              show_default=True, help="Policy target: the teacher's raw policy, or a search's "
              "visit distribution (--visits).")
@click.option("--visits", default=_DISTIL.visits, show_default=True)
@click.option("--temperature", default=_DISTIL.temperature, show_default=True)
@click.option("--temperature-moves", default=_DISTIL.temperature_moves, show_default=True,
              help="Plies at --temperature (-1: area / 7); --late-temperature after.")
@click.option("--late-temperature", default=_DISTIL.late_temperature, show_default=True)
@click.option("--resign-threshold", type=click.FloatRange(0, 1),
              default=_DISTIL.resign_threshold, show_default=True,
              help="Resign when the teacher's win rate stays below this (0: never; never in "
              "handicap games).")
@click.option("--max-moves", default=_DISTIL.max_moves, show_default=True, help="0: 2 * area.")
@click.option("--positions-per-shard", default=_DISTIL.positions_per_shard, show_default=True)
@click.option("--flush-minutes", default=_DISTIL.flush_minutes, show_default=True,
              help="Also write the finished games out after so many minutes.")
@click.option("--compact/--plain-shards", default=_DISTIL.compact, show_default=True,
              help="Compact shards (policy and teacher ownership quantised, about a sixth of the "
              "bytes, small enough to commit) or plain ones.")
@click.option("--prefix", default=_DISTIL.prefix, show_default=True,
              help="Shard prefix (one per process writing the same folder).")
@click.option("--seed", default=_DISTIL.seed, show_default=True)
@teacher_options(_DISTIL.threads, _DISTIL.batch_size, _DISTIL.runtime, _DISTIL.precision)
@click.option("--log-seconds", default=_DISTIL.log_seconds, show_default=True,
              help="Log the throughput this often (0: never).")
@click.option("--quiet", is_flag=True, help="Warnings only on stderr.")
def distil_command(sizes, size_weights, rules, quiet, **kwargs):
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


def _shard_paths(sources) -> list[Path]:
    """Shard files named directly, and every shard in the named folders (oldest first)."""
    paths: list[Path] = []
    for s in sources:
        paths += list_shards(s) if Path(s).is_dir() else [Path(s)]
    return paths


@data_group.command("distil-eval")
@click.argument("nets", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--shards", "shard_args", multiple=True, required=True, type=click.Path(exists=True),
              help="Held-out teacher shards (files or folders).")
@threads_option(0, "each net")
def distil_eval_command(nets, shard_args, threads):
    """Agreement of zerogo nets with the teacher on held-out teacher shards (one JSON line each).

    Policy cross-entropy against the teacher's policy, share of rows where the
    net's top move is the teacher's, value MSE against the teacher and against
    the game result, mean absolute score error against the teacher's lead.
    """
    shards = _shard_paths(shard_args)
    for net in nets:
        click.echo(json.dumps(evaluate_net(Path(net), shards, threads=threads)))


_SURPRISE = SurpriseSettings()


@data_group.command("surprise")
@click.argument("student", type=click.Path(exists=True, dir_okay=False))
@click.option("--shards", "shard_args", multiple=True, required=True, type=click.Path(exists=True),
              help="Teacher-labelled shards (files or folders).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the weighted copies (not a source folder).")
@click.option("--policy-share", type=click.FloatRange(0, 1), default=_SURPRISE.policy_share,
              show_default=True, help="Share of the weight in proportion to the policy's KL divergence.")
@click.option("--value-share", type=click.FloatRange(0, 1), default=_SURPRISE.value_share,
              show_default=True, help="Share of the weight in proportion to the value's squared error.")
@click.option("--seed", default=_SURPRISE.seed, show_default=True, help="Seed of the copies' draw.")
@threads_option(_SURPRISE.threads, "the student")
def surprise_command(student, shard_args, out_dir, policy_share, value_share, seed, threads):
    """Copy shards with each row repeated by how much it surprises STUDENT (KataGo's surprise weighting).

    Weights average 1: --value-share of the total in proportion to the squared
    gap between the student's value and the row's (teacher's) value, --policy-share
    in proportion to the KL divergence of the row's policy target from the
    student's policy, the rest evenly. A row of weight w is written floor(w)
    times and once more with probability w - floor(w); train on the copies
    with ``zerogo train --data OUT``. Copies already in OUT are kept, so an
    interrupted run carries on (same student, settings and seed).
    """
    out = Path(out_dir)
    paths = _shard_paths(shard_args)
    if any(p.resolve().parent == out.resolve() for p in paths):
        raise click.BadParameter("--out must not be a folder the shards come from")
    try:
        settings = SurpriseSettings(policy_share=policy_share, value_share=value_share, seed=seed,
                                    threads=threads)
        r = write_surprise_weighted(Path(student), paths, out, settings)
    except (ShardError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{r.rows_in} rows -> {r.rows_out} copies in {r.shards_written} new shards "
               f"({r.shards_kept} kept); policy KL mean {r.policy_kl_mean:.3f}, value squared error "
               f"mean {r.value_gap_mean:.3f}, largest weight {r.weight_max:.2f}", err=True)


@data_group.command("compact")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the compact copies (same names; not a source folder).")
def compact_command(sources, out_dir):
    """Rewrite shards compactly (about a sixth of the bytes) to keep teacher data in git.

    Each copy is read back and checked: every array exact except the policy
    (log-scale codes; KL to the original printed) and the teacher ownership
    (steps of 1/15). Training and distil-eval read compact shards as they are.
    Copies already in OUT are kept, so an interrupted run carries on.
    """
    out = Path(out_dir)
    paths = _shard_paths(sources)
    if any(p.resolve().parent == out.resolve() for p in paths):
        raise click.BadParameter("--out must not be a folder the shards come from")
    out.mkdir(parents=True, exist_ok=True)
    before = after = positions = 0
    for p in paths:
        dst = out / p.name
        try:
            if already_compacted(p, dst):
                click.echo(f"{p.name}: already compacted", err=True)
                continue
            r = compact_shard(p, dst)
        except ShardError as exc:
            raise click.ClickException(str(exc)) from exc
        before, after, positions = before + r.bytes_before, after + r.bytes_after, positions + r.positions
        click.echo(f"{r.name}: {r.positions} positions, {r.bytes_before / r.positions:.0f} -> "
                   f"{r.bytes_after / r.positions:.0f} bytes each, policy KL mean "
                   f"{r.policy_kl_mean:.1e} max {r.policy_kl_max:.1e}, ownership error max "
                   f"{r.ownership_error_max:.3f}", err=True)
    if positions:
        click.echo(f"compacted {positions} positions: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB "
                   f"({before / max(after, 1):.1f}x smaller)", err=True)


# ------------------------------------------------------------ from nets.gnugo_games
_GNUGO = GnuGoGameSettings()   # option defaults come from the settings dataclass


@click.command("gnugo-games")
@click.option("--games", default=100, show_default=True, help="Number of games.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--size", default=_GNUGO.size, show_default=True)
@click.option("--komi", type=float, default=_GNUGO.komi,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--level", default=_GNUGO.level, show_default=True, help="GNU Go level.")
@click.option("--random-moves", default=_GNUGO.random_moves, show_default=True,
              help="At most this many random opening moves per game.")
@click.option("--seed", default=0, show_default=True)
@click.option("--gnugo", default=_GNUGO.gnugo, show_default=True)
def gnugo_games_command(games, out_dir, size, komi, level, random_moves, seed, gnugo):
    """Generate GNU Go self-play games as SGF files."""
    cfg = GnuGoGameSettings(size=size, komi=komi, level=level, random_moves=random_moves,
                            gnugo=gnugo)
    n = generate(Path(out_dir), games, cfg, seed)
    click.echo(f"wrote {n} games to {out_dir}", err=True)


data_group.add_command(gnugo_games_command)
