"""A real GUI: Lizzie (Debian's liblizzie-java) analyses with zerogo under Xvfb.

Lizzie talks Leela Zero's dialect: numbered commands, ``lz-analyze 50``, and
it reads ``info move ...`` lines. The test starts Lizzie with zerogo as its
engine, waits until zerogo's own log shows analysis lines sent to it,
screenshots the X display (kept as ``out/lizzie-zerogo.png``) and checks the
picture is a drawn board, not an empty screen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gtp_session import REPO

LIZZIE_JAR = "/usr/share/java/lizzie.jar"
NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")
SGF = "(;GM[1]FF[4]SZ[9]KM[7]AB[ee][gc][cg]AW[cc][ge])"


def _tools() -> dict:
    tools = {"java": shutil.which("java"), "Xvfb": shutil.which("Xvfb"), "import": shutil.which("import"),
             "convert": shutil.which("convert")}
    missing = [k for k, v in tools.items() if not v] + ([] if os.path.exists(LIZZIE_JAR) else ["lizzie.jar"])
    if missing:
        pytest.fail(f"missing {missing}: apt-get install -y xvfb liblizzie-java default-jre imagemagick")
    return tools


def _free_display() -> int:
    for n in range(71, 140):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            return n
    pytest.fail("no free X display number")


def _write_config(home: Path, engine: Path) -> None:
    folder = home / ".config" / "leela-zero"
    folder.mkdir(parents=True)
    config = {
        "leelaz": {"engine-command": str(engine), "engine-start-location": ".", "network-file": "",
                   "max-analyze-time-minutes": 99999, "analyze-update-interval-centisec": 50,
                   "print-comms": False, "max-game-thinking-time-seconds": 2, "avoid-keep-variations": 30,
                   "show-lcb-winrate": False},
        "ui": {"board-size": 9, "show-best-moves": True, "show-winrate": True, "resume-previous-game": False,
               "confirm-exit": False, "show-subboard": True},
    }
    (folder / "lizzie-config.txt").write_text(json.dumps(config, indent=1))


def _stop(proc: subprocess.Popen) -> None:
    """End a process group this test started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def test_lizzie_draws_zerogo_analysis(tmp_path):
    tools = _tools()
    log = tmp_path / "engine.log"
    engine = tmp_path / "zerogo-engine.sh"
    # Lizzie 0.7.4 insists on a Leela Zero version >= 0.15 unless the engine is KataGo.
    engine.write_text(f'#!/bin/sh\ncd "{REPO}"\nexec "{sys.executable}" -c "from gtp.cli import main; main()" '
                      f'gtp --size 9 --network "{NET}" --gtp-version 0.17 --verbose --log "{log}" 2>/dev/null\n')
    engine.chmod(0o755)
    _write_config(tmp_path, engine)
    sgf = tmp_path / "position.sgf"
    sgf.write_text(SGF)
    display = _free_display()
    xvfb = subprocess.Popen([tools["Xvfb"], f":{display}", "-screen", "0", "1280x960x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    env = {**os.environ, "DISPLAY": f":{display}"}
    lizzie = None
    try:
        time.sleep(1.0)
        lizzie = subprocess.Popen([tools["java"], f"-Duser.home={tmp_path}", "-jar", LIZZIE_JAR, str(sgf)],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        deadline = time.monotonic() + 45
        lines = []
        while time.monotonic() < deadline:
            text = log.read_text() if log.exists() else ""
            lines = re.findall(r"analysis line: (info move .*)", text)
            if len(lines) >= 4:
                break
            time.sleep(0.5)
        assert len(lines) >= 4, f"no analysis reached Lizzie; engine log:\n{text[-3000:]}"
        assert re.search(r"command: lz-analyze \d+", text), "Lizzie did not ask for lz-analyze"
        time.sleep(1.5)   # let Lizzie draw the latest line
        out = Path(REPO) / "out"
        out.mkdir(exist_ok=True)
        shot = out / "lizzie-zerogo.png"
        subprocess.run([tools["import"], "-display", f":{display}", "-window", "root", str(shot)],
                       check=True, timeout=30, env=env)
        colours = subprocess.run([tools["convert"], str(shot), "-format", "%k", "info:"], check=True,
                                 capture_output=True, text=True, timeout=30).stdout
        assert int(colours) > 200, f"the screenshot looks empty ({colours} colours)"
        first = lines[-1].split(" info ")[0].removeprefix("info ").split()
        fields = dict(zip(first[0::2], first[1::2]))
        assert int(fields["visits"]) > 0 and 0 <= int(fields["winrate"]) <= 10000
        assert lizzie.poll() is None, lizzie.stdout.read().decode(errors="replace")[-2000:]
    finally:
        if lizzie is not None:
            _stop(lizzie)
        _stop(xvfb)
