"""How often zerogo's search played a move its own network rated low, by phase of the game.

A search that trusts its values over its priors departs from the priors more
often; where the values are wrong (a small net misreading a big group) those
departures are the slack moves that give a lead away. This script replays
every game of a ``zerogo match`` folder where engine A is zerogo, asks a
network for its policy before each of zerogo's moves (passes left out), and
prints the share of moves whose prior was below ``--below``: for moves 1-100,
101-200 and 201 on, and for won and lost games.

Example (weights/README.md, session 32: the same net with and without score utility)::

    python benchmarks/low_prior_moves.py weights/dagger19/dagger1-candidate.onnx \\
        weights/distil19/match-dagger1-gnugo10-5s-openings19b \\
        weights/distil19/match-dagger1-su-gnugo10-5s-openings19b
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.board import BLACK, WHITE
from engine.evaluation import Position
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.sgf import load_sgf_file

PHASES = ((1, 100, "1-100"), (101, 200, "101-200"), (201, 10**6, "201+"))   # move numbers from 1


def zerogo_priors(evaluator, sgf_path: Path, zerogo_black: bool) -> list[tuple[int, float]]:
    """(move number from 1, the net's prior for the move played) for each of zerogo's moves but passes."""
    record = load_sgf_file(sgf_path)
    game = record.copy()
    while game.moves:
        game.undo()
    out = []
    pass_move = record.width * record.height
    zerogo = BLACK if zerogo_black else WHITE
    for number, (colour, move) in enumerate(record.moves, start=1):
        if colour == zerogo and move != pass_move:
            policy = evaluator.evaluate([Position.from_game(game)])[0].policy   # before the board moves on
            out.append((number, float(policy[move])))
        game.play(move, colour)
    return out


def phase_of(number: int) -> str:
    """The label of the phase a move number (from 1) falls in."""
    return next(label for first, last, label in PHASES if first <= number <= last)


def tally(evaluator, folder: Path, below: float) -> dict:
    """Low-prior counts ``[low, all]`` per phase and for won and lost games of one match folder."""
    counts = {label: [0, 0] for *_, label in PHASES} | {"won": [0, 0], "lost": [0, 0]}
    for line in (folder / "games.jsonl").read_text().splitlines():
        game = json.loads(line)
        if "index" not in game:
            continue
        outcome = "won" if game["winner_engine"] == "A" else "lost"
        for number, prior in zerogo_priors(evaluator, folder / Path(game["sgf"]).name, game["black_engine"] == "A"):
            phase = phase_of(number)
            for key in (phase, outcome):
                counts[key][0] += prior < below
                counts[key][1] += 1
    return counts


@click.command()
@click.argument("network")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--below", default=0.01, show_default=True, help="A prior under this counts as low.")
@click.option("--threads", default=1, show_default=True)
def main(network, folders, below, threads):
    """Share of zerogo's moves with a prior below --below, per match folder."""
    evaluator = load_evaluator(network, EvaluatorConfig(threads=threads, batch_size=1, cache_size=0,
                                                        runtime="onnxruntime", precision="fp32"))
    for folder in folders:
        counts = tally(evaluator, folder, below)
        shares = "  ".join(f"{key} {low}/{n} = {low / max(n, 1):.3f}" for key, (low, n) in counts.items())
        click.echo(f"{folder.name}: {shares}")


if __name__ == "__main__":
    main()
