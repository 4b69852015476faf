"""zerogo bench features: runs on a few positions, and says clearly when there are none."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from gtp.bench.cli import bench_features_command
from gtp.bench.features import DEFAULT_POSITIONS


def test_bench_features_prints_three_scenarios(tmp_path):
    sources = sorted(Path(DEFAULT_POSITIONS).glob("*-19x19-*.sgf"))
    assert sources, f"the reference positions are missing from {DEFAULT_POSITIONS}"
    short = sorted(sources, key=lambda p: p.stat().st_size)[:2]
    for src in short:
        shutil.copy(src, tmp_path / src.name)
    res = CliRunner().invoke(bench_features_command,
                             ["--positions", str(tmp_path), "--reps", "1", "--children", "2"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["cold", "along", "search"]
    assert all("median" in line and "p90" in line for line in lines)
    assert lines[0].split()[1:3] == ["n=", "2"]  # two positions, cold


def test_bench_features_without_positions_fails_clearly(tmp_path):
    res = CliRunner().invoke(bench_features_command, ["--positions", str(tmp_path)])
    assert res.exit_code != 0
    assert "no 19x19 positions" in res.output
