"""Where a match game was won or lost: win rate and score lead along it, judged by any net.

Sends one KataGo-style analysis query (``zerogo analysis``) for a game's
positions every ``--step`` moves from ``--first`` on, and prints black's win
rate and score lead after each of those moves with the judge's best reply.
With the KataGo teacher as the judge, a lost game's turning point is the move
where black's (or white's) numbers fall; a second run with ``--step 1`` and
more visits around it finds the move. With zerogo's own net it shows what
zerogo believed meanwhile.

Example (game 19 of the 19x19 target match, read in weights/README.md)::

    T=~/.cache/zerogo/katago-nets/g170e-b15c192-s1672170752-d466197061.bin.gz
    python benchmarks/game_winrates.py weights/distil19/match-g2-gnugo10-5s/game0018.sgf \\
        --network $T --visits 8 --step 8
    python benchmarks/game_winrates.py weights/distil19/match-g2-gnugo10-5s/game0018.sgf \\
        --network $T --visits 64 --step 1 --first 224 --last 249
"""

from __future__ import annotations

import json
import subprocess
import sys

import click

from engine import coords
from engine.sgf import load_sgf_file


def game_moves(path: str) -> tuple[int, float, str, list[list[str]]]:
    """(board size, komi, rules, moves as [colour, GTP vertex]) of an SGF game's main line (engine.sgf)."""
    game = load_sgf_file(path)
    size = game.width
    moves = [[coords.color_name(colour), coords.to_gtp(move, size, size)] for colour, move in game.moves]
    return size, game.rules.komi, game.rules.name, moves


@click.command()
@click.argument("sgf_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--network", required=True, help="The judge: an ONNX file or a KataGo .bin.gz.")
@click.option("--visits", default=8, show_default=True, type=click.IntRange(1))
@click.option("--step", default=8, show_default=True, type=click.IntRange(1), help="Moves between positions.")
@click.option("--first", default=0, show_default=True, type=click.IntRange(0), help="First move number.")
@click.option("--last", default=None, type=click.IntRange(0), help="Last move number (default: the end).")
def main(sgf_file, network, visits, step, first, last):
    """Black's win rate and score lead after every STEP-th move of SGF_FILE, by NETWORK's search."""
    size, komi, rules, moves = game_moves(sgf_file)
    end = len(moves) if last is None else min(last, len(moves))
    turns = list(range(first, end + 1, step))
    query = {"id": "game", "moves": moves, "rules": rules, "komi": komi, "boardXSize": size,
             "boardYSize": size, "analyzeTurns": turns, "maxVisits": visits}
    proc = subprocess.run([sys.executable, "-c", "from gtp.cli import main; main()", "analysis",
                           "--network", network, "--analysis-threads", "1"],
                          input=json.dumps(query) + "\n", capture_output=True, text=True)
    rows = {}
    for line in proc.stdout.splitlines():
        reply = json.loads(line)
        if "error" in reply:
            raise click.ClickException(f"zerogo analysis: {reply['error']}")
        if "rootInfo" in reply:
            best = reply["moveInfos"][0]["move"] if reply["moveInfos"] else "-"
            rows[reply["turnNumber"]] = (reply["rootInfo"]["winrate"], reply["rootInfo"]["scoreLead"], best)
    if not rows:
        raise click.ClickException(f"no analysis came back: {proc.stderr.strip()[-500:]}")
    click.echo("move  played  black win rate  black lead  best reply")
    for turn in sorted(rows):
        played = " ".join(moves[turn - 1]) if turn else "-"
        rate, lead, best = rows[turn]
        click.echo(f"{turn:4d}  {played:<6}  {rate:14.3f}  {lead:+10.1f}  {best}")


if __name__ == "__main__":
    main()
