"""Per-engine move times and results from ``zerogo match`` SGFs.

Reads ``DIR/game*.sgf`` (written with ``--sgf-dir``): which side zerogo played,
the result and end reason from the root comment, and each move's thinking
time from its node comment (``time X s``).
"""

from __future__ import annotations

import glob
import re
from sgfmill import sgf


def collect(dirs: list[str]) -> tuple[list[float], list[float], list[tuple]]:
    """(zerogo move times, opponent move times, per game (file, zerogo colour, RE, reason, zerogo won))."""
    z_times, g_times, res = [], [], []
    for d in dirs:
        for f in sorted(glob.glob(d + "/game*.sgf")):
            with open(f, "rb") as fh:
                game = sgf.Sgf_game.from_bytes(fh.read())
            root = game.get_root()
            zc = "b" if "zerogo" in root.get("PB") else "w"
            reason = re.search(r"game \d+: (\w+)", root.get("C")).group(1)
            r = root.get("RE")
            res.append((f, zc, r, reason, r[0].lower() == zc))
            for node in game.get_main_sequence()[1:]:
                c, _ = node.get_move()
                if c is None or not node.has_property("C"):
                    continue
                m = re.search(r"time ([0-9.]+) s", node.get("C"))
                if m:
                    (z_times if c == zc else g_times).append(float(m.group(1)))
    return z_times, g_times, res
