"""Real clients: Sabaki's @sabaki/gtp driving zerogo in Node, and replays of gtp2ogs and GoGui."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

from tests.gtp_session import REPO, run_zerogo, split_replies

NODE_DIR = os.path.join(REPO, "tests", "node")
VERTEX = re.compile(r"^(?:[A-HJ-Z](?:[1-9]|1\d|2[0-5])|PASS)$", re.I)


def test_sabaki_client_library_drives_the_engine():
    node = shutil.which("node")
    assert node, "node is needed (apt-get install nodejs); then npm ci --prefix tests/node"
    assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@sabaki", "gtp")), \
        "run: npm ci --prefix tests/node"
    proc = subprocess.run([node, os.path.join(NODE_DIR, "sabaki_client.js"), sys.executable, REPO],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert (seen["name"], seen["protocol_version"]) == ("zerogo", "2")
    assert sorted(seen["afterSync"].split()) == ["C3", "C5", "D4", "G7"]
    assert seen["syncCommands"] == ["undo", "play"]          # Sabaki's undo path, not a replay
    assert sorted(seen["afterUndo"].split()) == ["C3", "D4", "D6", "G7"]
    assert VERTEX.match(seen["genmove"]) and seen["history"][-1] == f"play W {seen['genmove']}"
    assert seen["history"][0] == "set_free_handicap C3 G7" and "play W PASS" in seen["history"]
    assert VERTEX.match(seen["plainGenmove"])
    for dialect in ("kata", "lz"):
        assert len(seen[dialect]) >= 2
        for line in seen[dialect]:
            assert [c["order"] for c in line] == ["0", "1", "2"]
            for cand in line:
                assert VERTEX.match(cand["move"]) and cand["pv"][0] == cand["move"]
                if dialect == "kata":
                    assert "." in cand["winrate"] and "." in cand["prior"] and "scoreLead" in cand
                else:
                    assert cand["winrate"].isdigit() and 0 <= int(cand["winrate"]) <= 10000
    assert int(seen["lz"][1][0]["visits"]) > int(seen["lz"][0][0]["visits"])
    assert seen["afterStreams"] == "zerogo"


GTP2OGS = [
    "list_commands", "boardsize 19", "clear_board", "komi 6.5",
    "kgs-time_settings byoyomi 600 30 5", "place_free_handicap 4",
    "time_left white 598 0", "genmove white", "play black r3", "time_left white 30 5",
    "genmove white", "play black pass", "time_left white 25 3", "genmove white", "quit",
]


def test_gtp2ogs_replay_with_crlf_lowercase_and_byoyomi():
    text = "".join(line + "\r\n" for line in GTP2OGS)
    proc = run_zerogo(text, "--seed", "1")
    replies = split_replies(proc.stdout.decode())
    assert len(replies) == len(GTP2OGS) and all(r.startswith("=") for r in replies), replies
    listed = replies[0][1:].strip().split("\n")
    for needed in ("play", "genmove", "kgs-time_settings", "time_left", "place_free_handicap", "quit"):
        assert needed in listed
    handicap = replies[5][1:].split()
    assert len(handicap) == 4 and all(VERTEX.match(v) for v in handicap)
    moves = [replies[i][1:].strip() for i in (7, 10, 13)]
    assert all(VERTEX.match(m) for m in moves)
    occupied = set(handicap) | {"R3"}
    assert not occupied & set(moves[:1]) and moves[1] not in occupied


def test_gtp2ogs_kata_time_settings_fischer():
    lines = ["list_commands", "kata-list_time_settings", "boardsize 9", "clear_board",
             "kata-time_settings fischer-capped 300 10 600 -1", "time_left black 290 0", "genmove black",
             "quit"]
    replies = split_replies(run_zerogo("".join(l + "\r\n" for l in lines)).stdout.decode())
    assert "fischer-capped" in replies[1] and all(r.startswith("=") for r in replies)


