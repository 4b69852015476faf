"""benchmarks/device_slim.sh: a checkout small enough for a device call, and back to main whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "device_slim.sh"

def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _slim(repo: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo), "DATA_DIRS": "run3 dagger1", **env_extra}
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=repo, env=env, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path):
    """A small repository shaped like this one: code, tests, docs, and a big weights/ folder."""
    files = {
        "engine/board.py": "x = 1\n", "tests/test_board.py": "y = 2\n", "docs/shot.png": "p" * 100,
        ".gitignore": "/out/\n", "weights/zerogo-19x19-b6c64.pt": "w" * 1000,
        "weights/distil19/data/run3/a.npz": "a" * 300_000,
        "weights/distil19/data/dagger1/b.npz": "b" * 200_000,
        "weights/distil19/data/holdout3/h.npz": "h" * 1000,
        "weights/distil19/match/game0000.sgf": "(;GM[1])",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    return tmp_path


def test_prepare_leaves_a_slim_checkout_with_the_data_staged_and_restore_brings_main_back(repo):
    tracked = _git(repo, "ls-files").split()
    done = _slim(repo, "prepare")
    assert done.returncode == 0, done.stderr
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "device-slim"
    assert sorted(_git(repo, "ls-files").split()) == [".gitignore", "engine/board.py",
                                                       "weights/zerogo-19x19-b6c64.pt"]
    assert not (repo / "weights" / "distil19").exists() and not (repo / "tests").exists()
    assert (repo / "out/devdata/run3/a.npz").stat().st_size == 300_000
    assert (repo / "out/devdata/dagger1/b.npz").stat().st_size == 200_000
    assert "in all: 0.0 MiB" in done.stdout          # the checkout alone: a few bytes
    sized = _slim(repo, "size", "out/devdata/run3")
    assert "out/devdata/run3 0.3" in sized.stdout and "in all: 0.3 MiB" in sized.stdout

    back = _slim(repo, "restore")
    assert back.returncode == 0, back.stderr
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert _git(repo, "ls-files").split() == tracked and _git(repo, "status", "--porcelain") == ""
    assert (repo / "weights/distil19/data/run3/a.npz").read_text() == "a" * 300_000


def test_it_refuses_a_checkout_with_uncommitted_changes_and_prepare_off_main(repo):
    (repo / "engine/board.py").write_text("x = 2\n")
    refused = _slim(repo, "prepare")
    assert refused.returncode == 1 and "uncommitted changes" in refused.stderr
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert (repo / "weights/distil19/data/run3/a.npz").exists()
    _git(repo, "checkout", "-q", "--", "engine/board.py")
    _git(repo, "checkout", "-q", "-b", "other")
    off_main = _slim(repo, "prepare")
    assert off_main.returncode == 1 and "prepare from main" in off_main.stderr
    assert _slim(repo, "nonsense").returncode == 2


def test_by_default_every_teacher_run_but_the_held_out_ones_is_staged(repo):
    done = _slim(repo, "prepare", DATA_DIRS="")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (repo / "out/devdata").iterdir()) == ["dagger1", "run3"]
    assert "teacher data in out/devdata: dagger1 run3" in done.stdout


def _call_lines(done: subprocess.CompletedProcess) -> list[str]:
    assert done.returncode == 0, done.stderr
    return [line.split(": carry=")[0].split(" (")[0] + ": " + line.split(": carry=")[1]
            for line in done.stdout.splitlines()]


def test_calls_packs_the_staged_runs_into_calls_under_the_limit_the_last_one_training(repo):
    assert "run prepare first" in _slim(repo, "calls").stderr
    assert _slim(repo, "prepare").returncode == 0
    (repo / "out/wheels").mkdir()
    (repo / "out/wheels/w.whl").write_text("w" * 10_000)
    one = _slim(repo, "calls", LIMIT_MIB="1")
    assert _call_lines(one) == ['call 1 of 1: ["out/wheels", "out/devdata/run3", "out/devdata/dagger1"]']
    assert "trains" in one.stdout

    (repo / "out/devdata/run3/c.npz").write_text("c" * 700_000)     # run3 now 1,000,000 bytes
    two = _slim(repo, "calls", LIMIT_MIB="1")
    assert _call_lines(two) == ['call 1 of 2: ["out/devdata/dagger1"]',
                                'call 2 of 2: ["out/wheels", "out/devdata/run3"]']
    first, last = two.stdout.splitlines()
    assert "lands data" in first and "trains" in last
    for line in (first, last):     # each call's total, with the checkout, under the limit
        assert float(line.split("(")[1].split(" MiB")[0]) <= 1.0

    (repo / "out/devdata/run3/d.npz").write_text("d" * 100_000)
    too_big = _slim(repo, "calls", LIMIT_MIB="1")
    assert too_big.returncode == 1 and "out/devdata/run3 (1.0 MiB) does not fit one call" in too_big.stderr
    assert _slim(repo, "restore").returncode == 0
