"""A tiny misbehaving GTP engine for match-runner tests: ``python tests/fake_gtp_engine.py MODE``.

Modes: ``resign`` (resigns every genmove), ``illegal`` (answers an occupied or
off-board point), ``crash`` (exits on genmove), ``slow`` (sleeps 30 s on genmove),
``stuck-play`` (never answers ``play``), ``stuck-setup`` (never answers ``komi``),
``pass`` (passes), ``claim:RESULT`` (passes, and claims ``final_score`` RESULT),
``cleanup-claim:RESULT`` (the same, and also knows ``kgs-genmove_cleanup``, where it passes),
``resign-after:N`` (passes N times, then resigns), ``crash-once:FILE`` (exits on its first genmove if FILE
does not exist, creating it; otherwise resigns), ``slow-pass:SECONDS`` (sleeps SECONDS, then passes),
``slow-start:SECONDS`` (sleeps SECONDS before it reads its first command, then passes).
"""

import os

import sys
import time


def main(mode: str) -> None:
    """Answer GTP on stdin/stdout, misbehaving on genmove."""
    genmoves = 0
    if mode.startswith("slow-start:"):
        time.sleep(float(mode.split(":", 1)[1]))
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        name = words[0]
        if name == "quit":
            print("=\n", flush=True)
            return
        if (mode, name) in (("stuck-play", "play"), ("stuck-setup", "komi")):
            time.sleep(1000)
        if name in ("genmove", "kgs-genmove_cleanup") and mode.startswith(("claim:", "cleanup-claim:")):
            print("= pass\n", flush=True)
        elif name == "final_score" and mode.startswith(("claim:", "cleanup-claim:")):
            print(f"= {mode.split(':', 1)[1]}\n", flush=True)
        elif name == "genmove" and mode.startswith("resign-after:"):
            genmoves += 1
            print("= resign\n" if genmoves > int(mode.split(":")[1]) else "= pass\n", flush=True)
        elif name == "genmove":
            if mode == "crash":
                sys.exit(3)
            if mode.startswith("crash-once:"):
                marker = mode.split(":", 1)[1]
                if not os.path.exists(marker):
                    open(marker, "w").close()
                    sys.exit(3)
                mode = "resign"
            if mode == "slow":
                time.sleep(30)
            if mode.startswith("slow-pass:"):
                time.sleep(float(mode.split(":", 1)[1]))
            reply = {"resign": "resign", "illegal": "Z99"}.get(mode, "pass")
            print(f"= {reply}\n", flush=True)
        elif name == "list_commands":
            extra = "kgs-genmove_cleanup\n" if mode.startswith("cleanup-claim:") else ""
            print(f"= genmove\n{extra}play\nquit\nboardsize\nclear_board\nkomi\n", flush=True)
        elif name == "final_score":
            print("? cannot score\n", flush=True)
        else:
            print("=\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
