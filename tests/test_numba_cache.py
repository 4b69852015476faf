"""engine.compiled.numba_cache: the kernels' cache folder changes with any kernel source."""

from __future__ import annotations

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
