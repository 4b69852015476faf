"""benchmarks/game_winrates.py: a game's win rates and leads, position by position, from zerogo analysis."""

from __future__ import annotations

import os
import subprocess
import sys

from sgfmill import sgf

from tests.gtp_session import REPO

SCRIPT = os.path.join(REPO, "benchmarks", "game_winrates.py")
NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")


def _game(path, moves) -> None:
    game = sgf.Sgf_game(size=9)
    game.get_root().set("KM", 7.0)
    game.get_root().set("RU", "Chinese")
    for colour, point in moves:
        game.extend_main_sequence().set_move(colour, point)
    with open(path, "wb") as f:
        f.write(game.serialise())


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_it_prints_one_row_per_chosen_position_with_the_move_played(tmp_path):
    path = str(tmp_path / "g.sgf")
    # C7 is (row 6 from the bottom, column 2) in sgfmill; E5 the centre; a pass at the end
    _game(path, [("b", (4, 4)), ("w", (6, 2)), ("b", (2, 6)), ("w", None), ("b", (6, 6))])
    out = _run(path, "--network", NET, "--visits", "1", "--step", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["move", "played", "black", "win", "rate", "black", "lead", "best", "reply"]
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == ["0", "2", "4"]
    assert rows[1][1:3] == ["W", "C7"] and rows[2][1:3] == ["W", "pass"]
    for row in rows:
        rate, lead = float(row[-3]), float(row[-2])
        assert 0.0 <= rate <= 1.0 and -81 <= lead <= 81
    window = _run(path, "--network", NET, "--visits", "1", "--step", "1", "--first", "3", "--last", "4")
    assert [line.split()[0] for line in window.stdout.splitlines()[1:]] == ["3", "4"]


def test_a_network_that_cannot_load_is_a_clear_error(tmp_path):
    path = str(tmp_path / "g.sgf")
    _game(path, [("b", (4, 4))])
    out = _run(path, "--network", str(tmp_path / "missing.onnx"))
    assert out.returncode != 0 and "Traceback" not in out.stderr and "Error:" in out.stderr
