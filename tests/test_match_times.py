"""``zerogo match-times``: results and move times read back from shipped match SGFs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gtp.cli import main

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
GAMES = WEIGHTS / "loop9" / "match-gnugo10" / "openings-00-09"


def test_match_times_reads_results_and_move_times():
    """The 20 shipped level-10 games: 12 wins, 19 scored and 1 resignation, move times per engine."""
    result = CliRunner().invoke(main, ["match-times", str(GAMES)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "games 20 zerogo wins 12 losses 8"
    assert "'score': 19" in lines[2] and "'resign': 1" in lines[2]
    assert lines[3].startswith("zerogo: moves 611 ") and lines[4].startswith("gnugo: moves 603 ")


def test_match_times_counts_a_draw_apart():
    """The b6c64 student against GNU Go level 1: 38 wins, 1 loss and 1 jigo (game 33, RE 0)."""
    result = CliRunner().invoke(main, ["match-times", str(WEIGHTS / "distil9" / "match-b6c64-gnugo1")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "games 40 zerogo wins 38 losses 1 draws 1"
