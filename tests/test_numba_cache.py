"""engine.compiled.numba_cache: the kernels' cache folder changes with any kernel source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from engine.compiled import numba_cache
from tests.gtp_session import REPO


def test_the_digest_changes_when_any_kernel_file_changes(tmp_path):
    for path in numba_cache.HERE.glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    before = numba_cache.sources_digest(tmp_path)
    assert before == numba_cache.sources_digest(numba_cache.HERE)
    callee = tmp_path / "feature_kernels.py"
    callee.write_text(callee.read_text() + "\n# edited\n")
    assert numba_cache.sources_digest(tmp_path) != before


def test_the_cache_folder_sits_under_xdg_cache_home(tmp_path):
    folder = numba_cache.cache_folder({"XDG_CACHE_HOME": str(tmp_path)})
    assert folder == tmp_path / "zerogo" / "numba" / numba_cache.sources_digest()


def test_numba_uses_it_unless_numba_cache_dir_is_set(tmp_path):
    code = ("import numba; import engine.compiled.board_kernels; "
            "print(numba.config.CACHE_DIR)")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "PYTHONPATH": REPO}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == str(tmp_path / "xdg" / "zerogo" / "numba" / numba_cache.sources_digest())
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == str(tmp_path / "mine"), out.stderr


def test_folders_of_other_sources_unused_for_a_month_are_pruned(tmp_path):
    root = tmp_path / "numba"
    now = 1_000_000_000.0
    month = numba_cache.STALE_DAYS * 86400
    for name, age in (("current", 10 * month), ("stale", month + 60), ("recent", month - 60)):
        (root / name).mkdir(parents=True)
        (root / name / "kernel.nbi").write_bytes(b"x")
        stamp = root / name / numba_cache.STAMP
        stamp.touch()
        os.utime(stamp, (now - age, now - age))
    unstamped = root / "old-unstamped"       # a folder from before stamps: its own time counts
    unstamped.mkdir()
    os.utime(unstamped, (now - 2 * month, now - 2 * month))
    removed = numba_cache.prune_stale(root, keep="current", now=now)
    assert sorted(p.name for p in removed) == ["old-unstamped", "stale"]
    assert sorted(p.name for p in root.iterdir()) == ["current", "recent"]


def test_using_the_cache_stamps_its_folder_and_prunes_stale_ones(tmp_path):
    xdg = tmp_path / "xdg"
    stale = xdg / "zerogo" / "numba" / "0123456789abcdef"
    stale.mkdir(parents=True)
    old = 1_000_000_000.0
    os.utime(stale, (old, old))
    code = "import engine.compiled.board_kernels"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(xdg), "PYTHONPATH": REPO}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert not stale.exists()
    assert (xdg / "zerogo" / "numba" / numba_cache.sources_digest() / numba_cache.STAMP).exists()
