"""benchmarks/low_prior_moves.py: the share of zerogo's moves its net rated low, from a match folder."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

from sgfmill import sgf

from tests.gtp_session import REPO

SCRIPT = os.path.join(REPO, "benchmarks", "low_prior_moves.py")
NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")


def _match_folder(folder, games) -> None:
    """A ``zerogo match`` folder: SGF files and a games.jsonl journal (config line first)."""
    folder.mkdir()
    lines = [json.dumps({"config": {"size": 9}})]
    for index, (moves, zerogo_black, won) in enumerate(games):
        game = sgf.Sgf_game(size=9)
        game.get_root().set("KM", 7.0)
        for colour, point in moves:
            game.extend_main_sequence().set_move(colour, point)
        name = f"game{index:04d}.sgf"
        (folder / name).write_bytes(game.serialise())
        black, white = ("A", "B") if zerogo_black else ("B", "A")
        lines.append(json.dumps({"index": index, "black_engine": black, "white_engine": white,
                                 "winner_engine": "A" if won else "B", "sgf": f"elsewhere/{name}"}))
    (folder / "games.jsonl").write_text("\n".join(lines) + "\n")


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, NET, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def _counts(line: str) -> dict:
    """``key low/n = share`` pairs of one output line as {key: (low, n)}."""
    fields = line.split(": ", 1)[1].split()
    return {fields[i]: tuple(map(int, fields[i + 1].split("/"))) for i in range(0, len(fields), 4)}


def test_it_counts_zerogo_s_moves_only_and_leaves_passes_out(tmp_path):
    folder = tmp_path / "match"
    five = [("b", (4, 4)), ("w", (6, 2)), ("b", (2, 6)), ("w", None), ("b", (6, 6))]
    # game 0: zerogo black (3 stones played), won; game 1: zerogo white (one stone and a pass), lost
    _match_folder(folder, [(five, True, True), (five, False, False)])
    every = _counts(_run(str(folder), "--below", "1.01").stdout.strip())
    assert every["won"] == (3, 3) and every["lost"] == (1, 1) and every["1-100"] == (4, 4)
    assert every["101-200"] == (0, 0) and every["201+"] == (0, 0)
    none = _counts(_run(str(folder), "--below", "0").stdout.strip())
    assert none["won"] == (0, 3) and none["lost"] == (0, 1)


def test_each_move_number_falls_in_one_phase():
    spec = importlib.util.spec_from_file_location("low_prior_moves", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert [script.phase_of(n) for n in (1, 100, 101, 200, 201, 900)] == [
        "1-100", "1-100", "101-200", "101-200", "201+", "201+"]
