"""Points a search gives away when it is already winning: two search settings side by side, KataGo as the judge.

A value-only search stops caring about points once every move wins (values
near +1): it then plays by its prior and can bleed a big lead away, as zerogo
did against GNU Go level 10 on 19x19 (game 30 of
weights/distil19/match-r2-gnugo10-5s: +54 at move 180 by its own net, lost
by 2.5). This script draws positions from match records where zerogo was to
move and its network already gave it at least ``--min-winrate``, searches
each with two settings (the same visits, fresh trees), and lets a KataGo
network judge each chosen move: the points the mover keeps (KataGo's score
lead for the mover after the move, raw network). It prints, per setting,
the mean points kept and the paired difference with its standard error.

Example (the numbers in weights/README.md came from this)::

    python benchmarks/won_positions.py weights/distil19/match-r2-gnugo10-5s \\
        --network weights/zerogo-19x19.onnx \\
        --judge ~/.cache/zerogo/katago-nets/g170e-b15c192-s1672170752-d466197061.bin.gz \\
        --positions 60 --visits 400 --b "static_score_utility=0.1,dynamic_score_utility=0.3"
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

import click
from sgfmill import sgf

from engine import coords
from engine.evaluation import Position
from engine.evaluator import EvaluatorConfig, load_evaluator
from engine.game import Game
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher


def _settings(text: str) -> dict:
    """``name=value,...`` as SearchConfig keyword arguments (floats)."""
    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, _, value = item.partition("=")
        out[name] = float(value)
    return out


def _zerogo_games(folder: Path):
    """(sgf path, zerogo's colour) for every game of a ``zerogo match`` folder where engine A is zerogo."""
    for line in (folder / "games.jsonl").read_text().splitlines():
        game = json.loads(line)
        if "index" in game:
            yield folder / Path(game["sgf"]).name, 1 if game["black_engine"] == "A" else -1


def _positions(folder: Path, evaluator, min_winrate: float, first: int, last: int) -> list:
    """(record, move number) wherever zerogo is to move in the range and its net says it wins."""
    out = []
    for path, colour in _zerogo_games(folder):
        record = sgf.Sgf_game.from_bytes(path.read_bytes())
        size = record.get_size()
        game = Game(size, size, rules="chinese", komi=record.get_komi())
        for number, node in enumerate(record.get_main_sequence()[1:], start=1):
            if number > last:
                break
            if number >= first and game.board.to_play == colour:
                ev = evaluator.evaluate([Position.from_game(game, 8)])[0]
                if (ev.value + 1) / 2 >= min_winrate:
                    out.append((path.name, record, number))
            game.play(coords.from_sgfmill(node.get_move()[1], size, size))
    return out


def _replay(record, upto: int) -> Game:
    """The game of ``record`` before its move ``upto``."""
    size = record.get_size()
    game = Game(size, size, rules="chinese", komi=record.get_komi())
    for node in record.get_main_sequence()[1:upto]:
        game.play(coords.from_sgfmill(node.get_move()[1], size, size))
    return game


def _kept(judge, game: Game, move: int) -> float:
    """The judge's score lead for the player of ``move`` after it (raw network)."""
    after = game.copy()
    after.play(move)
    return -float(judge.evaluate([Position.from_game(after, 8)])[0].score_lead)


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--network", required=True, help="zerogo's network (ONNX).")
@click.option("--judge", required=True, help="The judging network (a KataGo .bin.gz or ONNX).")
@click.option("--positions", default=60, show_default=True, help="Positions drawn (seeded).")
@click.option("--visits", default=400, show_default=True)
@click.option("--min-winrate", default=0.9, show_default=True, help="zerogo's raw win rate at least this.")
@click.option("--moves", default="100-300", show_default=True, help="Move-number range FIRST-LAST.")
@click.option("--a", "setting_a", default="", help="Setting A: name=value,... of SearchConfig (default: defaults).")
@click.option("--b", "setting_b", default="", help="Setting B.")
@click.option("--game", "only", multiple=True, help="Only these SGF file names (repeatable).")
@click.option("--threads", default=2, show_default=True)
@click.option("--seed", default=1, show_default=True)
def main(folder, network, judge, positions, visits, min_winrate, moves, setting_a, setting_b, only, threads,
         seed):
    """Mean points kept by two search settings on won positions, judged by a KataGo net."""
    first, _, last = moves.partition("-")
    probe = load_evaluator(network, EvaluatorConfig(threads=threads, batch_size=8), 19, 19)
    pool = [p for p in _positions(folder, probe, min_winrate, int(first), int(last)) if not only or p[0] in only]
    found = len(pool)
    random.Random(seed).shuffle(pool)
    pool = pool[:positions]
    referee = load_evaluator(str(Path(judge).expanduser()), EvaluatorConfig(threads=threads, batch_size=8), 19, 19)
    kept = {"A": [], "B": []}
    differ = 0
    for name, record, number in pool:
        game = _replay(record, number)
        chosen = {}
        for label, text in (("A", setting_a), ("B", setting_b)):
            cfg = SearchConfig(visits=visits, reuse_tree=False, seed=seed, **_settings(text))
            chosen[label] = Searcher(probe, cfg).search(game, MoveLimits(visits=visits)).move
        points = {label: _kept(referee, game, move) for label, move in chosen.items()}
        if chosen["A"] != chosen["B"]:
            differ += 1
        for label in kept:
            kept[label].append(points[label])
        print(f"{name} move {number}: A {coords.to_gtp(chosen['A'], 19, 19)} {points['A']:+.1f}  "
              f"B {coords.to_gtp(chosen['B'], 19, 19)} {points['B']:+.1f}", file=sys.stderr, flush=True)
    n = len(kept["A"])
    diffs = [b - a for a, b in zip(kept["A"], kept["B"])]
    mean = sum(diffs) / n
    se = math.sqrt(sum((d - mean) ** 2 for d in diffs) / max(n - 1, 1) / n)
    print(f"positions {n} (drawn from {found} found), moves differ in {differ}")
    print(f"A ({setting_a or 'defaults'}): mean points kept {sum(kept['A']) / n:+.2f}")
    print(f"B ({setting_b or 'defaults'}): mean points kept {sum(kept['B']) / n:+.2f}")
    print(f"B - A: {mean:+.2f} points a move (standard error {se:.2f})")


if __name__ == "__main__":
    main()
