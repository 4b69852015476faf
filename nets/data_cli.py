"""``zerogo data``: make training shards from game records."""

from __future__ import annotations

import click

from nets.data import DataSettings, convert


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
@click.option("--quiet", is_flag=True, help="No progress bar.")
def from_sgf(inputs, out_dir, positions_per_shard, min_moves, prefix, quiet):
    """Convert SGF files, directories, .zip and .tar(.gz) archives into shards.

    Broken or unsupported games are skipped and counted by reason. Run the same
    command again to resume after an interruption: games already in shards are
    not read twice.
    """
    if positions_per_shard < 1 or min_moves < 0:
        raise click.BadParameter("--positions-per-shard must be >= 1 and --min-moves >= 0")
    settings = DataSettings(min_moves=min_moves, positions_per_shard=positions_per_shard,
                            prefix=prefix)
    try:
        prog = convert(list(inputs), out_dir, settings, progress_bar=not quiet)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"games used: {prog.games}, positions: {prog.positions}, "
               f"shards: {prog.next_index}, skipped: {sum(prog.skipped.values())}", err=True)
    for reason, n in sorted(prog.skipped.items()):
        click.echo(f"  skipped {n:6d}  {reason}  e.g. {prog.examples.get(reason, [''])[0]}",
                   err=True)


def _add_gnugo_command() -> None:
    """``zerogo data gnugo-games``: GNU Go self-play SGF records (nets.gnugo_games)."""
    from nets.gnugo_games import main as gnugo_main

    data_group.add_command(gnugo_main, name="gnugo-games")


_add_gnugo_command()


def _add_distil_command() -> None:
    """``zerogo data distil``: teacher games as shards (nets.distil_cli)."""
    from nets.distil_cli import distil_command

    data_group.add_command(distil_command, name="distil")


_add_distil_command()
