"""``zerogo ladder``: the loop9 run's summary is rebuilt from its state and ratings files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from gtp.cli import main

LOOP9 = Path(__file__).resolve().parent.parent / "weights" / "loop9"


def test_ladder_rebuilds_the_shipped_loop9_summary(tmp_path):
    """Joint Bradley-Terry fit, anchor scale and profile intervals match weights/loop9/ladder.json."""
    run = tmp_path / "run"
    run.mkdir()
    for name in ("loop_state.json", "ratings.json"):
        shutil.copy(LOOP9 / name, run / name)
    result = CliRunner().invoke(main, ["ladder", str(run), str(tmp_path / "ladder")])
    assert result.exit_code == 0, result.output
    ours = json.loads((tmp_path / "ladder.json").read_text())
    shipped = json.loads((LOOP9 / "ladder.json").read_text())
    assert ours["anchor_elo"] == shipped["anchor_elo"]
    assert ours["joint_anchor_elo"] == shipped["joint_anchor_elo"]
    assert len(ours["generations"]) == len(shipped["generations"]) == 11
    for mine, theirs in zip(ours["generations"], shipped["generations"]):
        for key in ("generation", "joint", "elo", "elo_low", "elo_high", "promoted", "gate"):
            assert mine[key] == theirs[key], (mine["generation"], key)
    assert (tmp_path / "ladder.png").stat().st_size > 1000
    assert "| gen |" in (tmp_path / "ladder.md").read_text()
